using System.Security.Cryptography;

namespace Microsoft.ML.Pcr.Tests.Conversion;

/// <summary>
/// An ImageFolder with every input kind the converter meets: JPEGs of every kind, PNG/BMP/GIF/WebP, nested folders,
/// hidden files, a non-ASCII name, an empty class, a stray file at the root, and bad files that must be skipped.
/// </summary>
internal sealed class ImageFolderFixture : IDisposable
{
    private readonly TestFiles.TempDirectory _dir = TestFiles.NewTempDirectory();

    public ImageFolderFixture()
    {
        Root = _dir.Combine("images");
        string inputs = TestFiles.JpegInputs, images = Path.Combine(TestFiles.TestData, "images");
        // Class folders chosen so that ordinal order (Zebra < apple < ärger) differs from a culture-aware one.
        Copy(inputs, "baseline-420.jpg", "Zebra/baseline-420.jpg");
        Copy(inputs, "progressive-420.jpg", "Zebra/progressive.jpg");
        Copy(inputs, "gray.jpg", "Zebra/nested/deeper/gray.jpg");
        Copy(inputs, "cmyk-adobe.jpg", "Zebra/cmyk.jpg");
        Copy(inputs, "jfif-major-2.jpg", "Zebra/jfif-2.01.jpg"); // jpegtran warns about the revision, but no data is lost
        Copy(inputs, "baseline-422.jpg", "apple/baseline-422.jpg");
        Copy(inputs, "baseline-444.jpg", "apple/café ñ 東京.jpg");
        Copy(inputs, "ycck-adobe.jpg", "apple/ycck.jpg");
        Copy(inputs, "arithmetic-progressive.jpg", "apple/arithmetic.jpg");
        Copy(images, "photo.png", "ärger/photo.png");
        Copy(images, "translucent.png", "ärger/translucent.png");
        Copy(images, "gray.png", "ärger/gray.png");
        Copy(images, "photo.bmp", "ärger/photo.bmp");
        Copy(images, "photo.gif", "ärger/photo.gif");
        Copy(images, "photo.webp", "ärger/photo.webp");
        // Bad inputs: skipped with a reason.
        Copy(inputs, "truncated-baseline.jpg", "apple/truncated.jpg");
        Copy(images, "truncated.png", "ärger/truncated.png");
        Write("Zebra/empty.jpg", []);
        Write("apple/notes.jpg", "this is not an image"u8.ToArray());
        // Ignored or reported, never converted.
        Write("Zebra/.DS_Store", [1, 2, 3]);
        Directory.CreateDirectory(Path.Combine(Root, ".hidden-class"));
        Copy(inputs, "gray.jpg", ".hidden-class/x.jpg");
        Copy(inputs, "gray.jpg", "Zebra/.thumbnails/x.jpg");
        Directory.CreateDirectory(Path.Combine(Root, "empty-class"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "Zebra", "loop"), Path.Combine(Root, "Zebra")); // not followed: it would loop
        Write("README.txt", "stray"u8.ToArray());
    }

    public string Root { get; }

    public string Output(string name = "pcr") => _dir.Combine(name);

    public static readonly string[] ClassNames = ["Zebra", "apple", "empty-class", "ärger"];

    public static readonly string[] GoodFiles =
    [
        "Zebra/baseline-420.jpg", "Zebra/cmyk.jpg", "Zebra/jfif-2.01.jpg", "Zebra/nested/deeper/gray.jpg", "Zebra/progressive.jpg",
        "apple/arithmetic.jpg", "apple/baseline-422.jpg", "apple/café ñ 東京.jpg", "apple/ycck.jpg",
        "ärger/gray.png", "ärger/photo.bmp", "ärger/photo.gif", "ärger/photo.png", "ärger/photo.webp", "ärger/translucent.png",
    ];

    public static readonly string[] SkippedFiles =
        ["README.txt", "Zebra/empty.jpg", "Zebra/loop", "apple/notes.jpg", "apple/truncated.jpg", "ärger/truncated.png"];

    public Dictionary<string, string> HashAll() =>
        Directory.EnumerateFiles(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => !f.Contains("/loop/", StringComparison.Ordinal))
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private void Copy(string dir, string name, string relative) => Write(relative, File.ReadAllBytes(Path.Combine(dir, name)));

    private void Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose() => _dir.Dispose();
}
