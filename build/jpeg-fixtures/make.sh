#!/usr/bin/env bash
# Regenerates the JPEG fixtures under Microsoft.ML.Pcr.Tests/TestData/jpeg:
#   inputs/<name>.jpg        every kind of JPEG the transcoder must read
#   golden/<name>.jpg        `jpegtran -copy none -optimize -progressive` of each input
# Run once on Debian 12 with libjpeg-turbo-progs 2.1.5, imagemagick and libjpeg62-turbo-dev
# installed; the results are committed and the tests never need these tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/Microsoft.ML.Pcr.Tests/TestData/jpeg"
photos="$root/../shared/datasets/clothing-small/train"
IM=/usr/bin/convert
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/inputs" "$out/golden"
cc -O2 -o "$tmp/recolor" "$here/recolor.c" -ljpeg

# Source pictures: two real photos (CC0) scaled down, and one odd-sized crop.
shirts=("$photos"/shirt/*.jpg); shoes=("$photos"/shoes/*.jpg); p1=${shirts[0]}; p2=${shoes[0]}
$IM "$p1" -resize 96x128 "$tmp/a.ppm"
$IM "$p2" -resize 160x120\! "$tmp/b.ppm"
$IM "$p1" -crop 37x23+150+200 +repage "$tmp/odd.ppm"
$IM "$p2" -resize 1200x40\! "$tmp/pano.ppm"
$IM "$p1" -crop 1x1+200+260 +repage "$tmp/one.ppm"
$IM "$tmp/a.ppm" -colorspace Gray "$tmp/a.pgm"

i="$out/inputs"
cjpeg -quality 85 -sample 2x2,1x1,1x1 "$tmp/a.ppm" > "$i/baseline-420.jpg"
cjpeg -quality 85 -sample 2x1,1x1,1x1 "$tmp/b.ppm" > "$i/baseline-422.jpg"
cjpeg -quality 85 -sample 1x1,1x1,1x1 "$tmp/a.ppm" > "$i/baseline-444.jpg"
cjpeg -quality 85 -sample 1x2,1x1,1x1 "$tmp/b.ppm" > "$i/baseline-440.jpg"
cjpeg -quality 85 -sample 4x1,1x1,1x1 "$tmp/b.ppm" > "$i/baseline-411.jpg"
cjpeg -quality 80 -grayscale "$tmp/a.pgm" > "$i/gray.jpg"
cjpeg -quality 80 -sample 2x2 "$tmp/a.pgm" > "$i/gray-2x2-sampling.jpg"
cjpeg -quality 85 -progressive "$tmp/a.ppm" > "$i/progressive-420.jpg"
cjpeg -quality 85 -progressive -restart 1 "$tmp/b.ppm" > "$i/progressive-restart-rows.jpg"
cjpeg -quality 85 -progressive -restart 3B "$tmp/b.ppm" > "$i/progressive-restart-mcus.jpg"
cjpeg -quality 85 -restart 2 "$tmp/a.ppm" > "$i/baseline-restart-rows.jpg"
cjpeg -quality 85 -restart 5B -sample 2x1,1x1,1x1 "$tmp/b.ppm" > "$i/baseline-restart-mcus.jpg"
cjpeg -quality 85 -arithmetic "$tmp/a.ppm" > "$i/arithmetic-sequential.jpg"
cjpeg -quality 85 -arithmetic -progressive "$tmp/b.ppm" > "$i/arithmetic-progressive.jpg"
cjpeg -quality 85 -arithmetic -restart 1 "$tmp/b.ppm" > "$i/arithmetic-restart.jpg"
cjpeg -quality 2 "$tmp/a.ppm" > "$i/extended-sequential-sof1.jpg"
cjpeg -quality 100 -optimize "$tmp/b.ppm" > "$i/baseline-q100-optimized.jpg"
cjpeg -quality 85 "$tmp/odd.ppm" > "$i/odd-37x23.jpg"
cjpeg -quality 85 -sample 2x2,1x1,1x1 "$tmp/one.ppm" > "$i/one-pixel.jpg"
cjpeg -quality 85 "$tmp/pano.ppm" > "$i/panorama-1200x40.jpg"
# ImageMagick writes CMYK input as YCCK (libjpeg's default for CMYK); recolor makes both kinds explicitly.
$IM "$tmp/a.ppm" -colorspace CMYK -quality 85 "$tmp/cmyk-im.jpg"
"$tmp/recolor" cmyk "$tmp/cmyk-im.jpg" "$i/cmyk-adobe.jpg"
"$tmp/recolor" ycck "$tmp/cmyk-im.jpg" "$i/ycck-adobe.jpg"
"$tmp/recolor" rgb "$i/baseline-444.jpg" "$i/rgb-adobe.jpg"
# JFIF + Adobe(transform 0) together: splice the Adobe APP14 segment of rgb-adobe into a JFIF file.
python3 - "$i/baseline-420.jpg" "$i/rgb-adobe.jpg" "$i/jfif-and-adobe.jpg" <<'PY'
import sys
jfif = open(sys.argv[1], 'rb').read(); adobe = open(sys.argv[2], 'rb').read()
k = adobe.index(b'\xff\xee'); n = int.from_bytes(adobe[k+2:k+4], 'big')
seg = adobe[k:k+2+n]
# after SOI and the JFIF APP0 segment
m = 2 + 2 + int.from_bytes(jfif[4:6], 'big')
open(sys.argv[3], 'wb').write(jfif[:m] + seg + jfif[m:])
PY
# Marker variations that decide the colour space or must be skipped (libjpeg-turbo's rules).
python3 - "$i" <<'PY'
import sys, os
d = sys.argv[1]
def segs(data):
    # yields (start, end) of each marker segment before SOS
    i = 2
    while True:
        m = data[i+1]; n = int.from_bytes(data[i+2:i+4], 'big')
        yield i, i + 2 + n, m
        if m == 0xDA: return
        i += 2 + n
def without(data, marker):
    out = data[:2]
    for s, e, m in segs(data):
        if m == 0xDA: return out + data[s:]
        if m != marker: out += data[s:e]
def insert_after_soi(data, seg): return data[:2] + seg + data[2:]
rd = lambda n: open(os.path.join(d, n), 'rb').read()
wr = lambda n, b: open(os.path.join(d, n), 'wb').write(b)
jfif = rd('baseline-420.jpg')[2:20]   # the JFIF APP0 segment cjpeg writes (16 bytes + marker)
rgb = without(rd('rgb-adobe.jpg'), 0xEE)                       # component ids R,G,B, no markers
wr('rgb-ids-no-markers.jpg', rgb)
wr('jfif-rgb-ids.jpg', insert_after_soi(rgb, jfif))             # JFIF + ids R,G,B
j2 = bytearray(rd('baseline-420.jpg')); j2[11] = 2; j2[12] = 1  # JFIF version 2.01
wr('jfif-major-2.jpg', bytes(j2))
exif = b'\xff\xe1' + (2 + 6 + 8).to_bytes(2, 'big') + b'Exif\x00\x00' + b'II*\x00\x08\x00\x00\x00'
wr('exif-no-jfif.jpg', insert_after_soi(without(rd('baseline-422.jpg'), 0xE0), exif))
b = rd('baseline-444.jpg'); k = b.index(b'\xff\xda')
com = b'\xff\xfe' + (2 + 11).to_bytes(2, 'big') + b'hello world'
wr('comments-and-fill.jpg', b[:k] + com + b'\xff\xff\xff' + b[k:])
b = rd('baseline-420.jpg'); wr('truncated-baseline.jpg', b[: len(b) * 2 // 3])
b = rd('progressive-420.jpg'); wr('truncated-progressive.jpg', b[: len(b) * 2 // 3])
PY
# A real photo, untouched, with its EXIF/APPn segments.
cp "$p2" "$i/photo-clothing.jpg"

# Non-JPEG inputs for the converter (re-encoded at a stated quality), and a truncated PNG.
img="$out/../images"; mkdir -p "$img"
$IM "$tmp/b.ppm" "$img/photo.png"
$IM "$tmp/b.ppm" -alpha set -channel A -evaluate set 50% +channel "$img/translucent.png"
$IM "$tmp/a.pgm" "$img/gray.png"
$IM "$tmp/b.ppm" -type TrueColor "BMP3:$img/photo.bmp"
$IM "$tmp/b.ppm" -colors 64 "$img/photo.gif"
cwebp -quiet -q 80 "$img/photo.png" -o "$img/photo.webp"
head -c 3000 "$img/photo.png" > "$img/truncated.png"

for f in "$i"/*.jpg; do
  # truncated inputs make jpegtran warn (exit 2) but still write its output, which is the golden file
  jpegtran -copy none -optimize -progressive "$f" > "$out/golden/$(basename "$f")" || [ $? -eq 2 ]
done
ls -l "$i" "$out/golden" | awk '{s+=$5} END {print "fixture bytes:", s}'
