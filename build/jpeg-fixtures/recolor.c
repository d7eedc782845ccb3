/* Re-encodes a CMYK JPEG as YCCK or plain CMYK (Adobe transform 2 or 0), or an RGB JPEG as
 * RGB with an Adobe marker (transform 0), with libjpeg.
 * Used only by make.sh to produce test fixtures; not part of the library.
 * usage: recolor ycck|cmyk|rgb in.jpg out.jpg */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: recolor ycck|cmyk|rgb in.jpg out.jpg\n"); return 2; }
  FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[3], "wb");
  if (!in || !out) { perror("open"); return 1; }
  struct jpeg_decompress_struct d; struct jpeg_compress_struct c; struct jpeg_error_mgr je, ce;
  d.err = jpeg_std_error(&je); jpeg_create_decompress(&d); jpeg_stdio_src(&d, in);
  jpeg_read_header(&d, TRUE);
  int ycck = strcmp(argv[1], "ycck") == 0, cmyk = strcmp(argv[1], "cmyk") == 0;
  d.out_color_space = (ycck || cmyk) ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&d);
  c.err = jpeg_std_error(&ce); jpeg_create_compress(&c); jpeg_stdio_dest(&c, out);
  c.image_width = d.output_width; c.image_height = d.output_height;
  c.input_components = d.output_components; c.in_color_space = d.out_color_space;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, ycck ? JCS_YCCK : cmyk ? JCS_CMYK : JCS_RGB);
  jpeg_set_quality(&c, 85, TRUE);
  jpeg_start_compress(&c, TRUE);
  JSAMPROW row = malloc(d.output_width * d.output_components);
  while (d.output_scanline < d.output_height) {
    jpeg_read_scanlines(&d, &row, 1);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c); jpeg_finish_decompress(&d);
  fclose(out); fclose(in); free(row);
  return 0;
}
