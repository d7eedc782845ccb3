using SkiaSharp;

namespace PcrImageClassification;

/// <summary>
/// The sample's embedded default dataset: a deterministic generator of small JPEG photos-to-be in nine classes,
/// a coarse shape (disk, square, triangle) times a texture inside it (smooth, coarse stripes with an 8-pixel period,
/// fine stripes with a 2-pixel period). Shapes show at any fidelity; coarse stripes need the first AC scans;
/// fine stripes need the high-frequency scans. So low scan groups cost accuracy and middle ones do not.
/// </summary>
public static class DefaultDataset
{
    public static readonly string[] Shapes = ["disk", "square", "triangle"];
    public static readonly string[] Textures = ["smooth", "coarse", "fine"];

    public const int ImageSize = 128;

    /// <summary>Writes the ImageFolder (one sub-folder per class) into <paramref name="root"/> unless it is there already.</summary>
    /// <returns><paramref name="root"/>.</returns>
    public static string EnsureCreated(string root, int imagesPerClass, int seed = 2021)
    {
        // A marker written last tells a complete dataset of this size from an interrupted one.
        string done = Path.Combine(root, $".complete-{imagesPerClass}-{seed}");
        if (File.Exists(done)) return root;
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);

        var random = new Random(seed);
        foreach (string shape in Shapes)
        {
            foreach (string texture in Textures)
            {
                string name = $"{shape}-{texture}";
                Directory.CreateDirectory(Path.Combine(root, name));
                for (int i = 0; i < imagesPerClass; i++)
                    File.WriteAllBytes(Path.Combine(root, name, $"{name}-{i:D4}.jpg"), Draw(shape, texture, random));
            }
        }
        File.WriteAllText(done, "");
        return root;
    }

    /// <summary>Draws one image: noisy background, the shape at a jittered place and size, its texture inside.</summary>
    public static byte[] Draw(string shape, string texture, Random random)
    {
        var info = new SKImageInfo(ImageSize, ImageSize, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        SKCanvas canvas = surface.Canvas;

        byte background = (byte)random.Next(40, 110);
        canvas.Clear(new SKColor(background, (byte)(background + random.Next(-20, 20)), (byte)(background + random.Next(-20, 20))));

        float cx = ImageSize / 2f + random.Next(-14, 15), cy = ImageSize / 2f + random.Next(-14, 15);
        float radius = random.Next(34, 46);
        using SKPath path = Outline(shape, cx, cy, radius);

        // The texture is anchored to the pixel grid (not to the shape), so its phase is the same in every image.
        byte level = (byte)random.Next(150, 200);
        int amplitude = random.Next(35, 55);
        using var fill = new SKBitmap(info);
        for (int y = 0; y < ImageSize; y++)
        {
            for (int x = 0; x < ImageSize; x++)
            {
                int offset = texture switch
                {
                    "coarse" => (x / 4) % 2 == 0 ? amplitude : -amplitude,
                    "fine" => x % 2 == 0 ? amplitude : -amplitude,
                    _ => 0,
                };
                byte v = (byte)Math.Clamp(level + offset + random.Next(-6, 7), 0, 255);
                fill.SetPixel(x, y, new SKColor(v, v, (byte)Math.Clamp(v - 20, 0, 255)));
            }
        }
        canvas.Save();
        canvas.ClipPath(path, antialias: true);
        canvas.DrawBitmap(fill, 0, 0);
        canvas.Restore();

        using SKImage image = surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Jpeg, 92);
        return data.ToArray();
    }

    private static SKPath Outline(string shape, float cx, float cy, float r)
    {
        var path = new SKPath();
        switch (shape)
        {
            case "disk":
                path.AddCircle(cx, cy, r);
                break;
            case "square":
                path.AddRect(new SKRect(cx - r * 0.85f, cy - r * 0.85f, cx + r * 0.85f, cy + r * 0.85f));
                break;
            default:
                path.MoveTo(cx, cy - r);
                path.LineTo(cx + r, cy + r * 0.8f);
                path.LineTo(cx - r, cy + r * 0.8f);
                path.Close();
                break;
        }
        return path;
    }
}
