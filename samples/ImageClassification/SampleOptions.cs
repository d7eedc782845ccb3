using System.Globalization;

namespace PcrImageClassification;

/// <summary>The sample's command line: no framework, a handful of flags.</summary>
public sealed class SampleOptions
{
    public string? ImageFolder { get; private set; }
    public string? PcrDirectory { get; private set; }
    public int[]? Scans { get; private set; }
    public string OutputDirectory { get; private set; } = Path.GetFullPath("pcr-sample");
    public int ImagesPerClass { get; private set; } = 250;
    public bool Help { get; private set; }
    public string Trainer { get; private set; } = "linear";
    public int Epochs { get; private set; } = 8;
    public string? PredictModel { get; private set; }
    public string? PredictImage { get; private set; }
    public bool Pretrained { get; private set; }
    public string FineTune { get; private set; } = "head";
    public int? InputSize { get; private set; }

    public static void PrintUsage() => Console.WriteLine("""
        Trains an ML.NET image classifier on Progressive Compressed Records at several scan groups.

        Usage: dotnet run --project samples/ImageClassification -- [options]

          --data <folder>          an ImageFolder (one sub-folder per class) to convert and train on
          --pcr <folder>           a PCR dataset to train on (written by this project or by PCR_Release)
          --scan <k>[,<k>...]      scan groups to train at (default: 1,2,3,5 and full fidelity)
          --out <folder>           where the generated dataset, PCRs and model go (default: ./pcr-sample)
          --images-per-class <n>   size of the generated default dataset (default: 250)
          --trainer linear|cnn     linear model on raw pixels (default) or the TorchSharp CNN, trained end to end
          --epochs <n>             CNN epochs (default: 8)
          --predict <model> <image>  load a saved CNN (.pcrcnn) and print its scores for one image, nothing else
          --pretrained             with --trainer cnn: fine-tune ResNet-18 with ImageNet weights (package
                                   Microsoft.ML.DnnImageFeaturizer.ResNet18, no download at run time)
          --fine-tune head|last|all  what --pretrained trains: the head (default), the head and layer4, everything
          --input-size <n>         CNN input side in pixels (default: 64; 112 with --pretrained)
          --help                   this text

        With neither --data nor --pcr, a default dataset is generated (9 classes of 128x128 JPEGs).
        """);

    /// <summary>Parses <paramref name="args"/>; prints the problem and usage and returns null when they are wrong.</summary>
    public static SampleOptions? Parse(string[] args)
    {
        var o = new SampleOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (flag)
            {
                case "--help" or "-h" or "-?":
                    o.Help = true;
                    break;
                case "--data":
                    o.ImageFolder = Value();
                    break;
                case "--pcr":
                    o.PcrDirectory = Value();
                    break;
                case "--out":
                    o.OutputDirectory = Value() is { } dir ? Path.GetFullPath(dir) : "";
                    break;
                case "--scan":
                    o.Scans = Value()?.Split(',').Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int k) ? k : -1).ToArray();
                    if (o.Scans is null || o.Scans.Length == 0 || o.Scans.Any(k => k < 1)) return Fail("--scan takes scan groups 1 or more, e.g. --scan 3 or --scan 1,3,10");
                    break;
                case "--trainer":
                    o.Trainer = Value() ?? "";
                    if (o.Trainer is not ("linear" or "cnn")) return Fail("--trainer takes linear or cnn");
                    break;
                case "--epochs":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int e) || e < 1) return Fail("--epochs takes a number of 1 or more");
                    o.Epochs = e;
                    break;
                case "--predict":
                    o.PredictModel = Value();
                    o.PredictImage = Value();
                    if (o.PredictModel is null || o.PredictImage is null) return Fail("--predict takes a model file and an image file");
                    break;
                case "--pretrained":
                    o.Pretrained = true;
                    break;
                case "--fine-tune":
                    o.FineTune = Value() ?? "";
                    if (o.FineTune is not ("head" or "last" or "all")) return Fail("--fine-tune takes head, last or all");
                    break;
                case "--input-size":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size < 32) return Fail("--input-size takes a number of 32 or more");
                    o.InputSize = size;
                    break;
                case "--images-per-class":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 10) return Fail("--images-per-class takes a number of 10 or more");
                    o.ImagesPerClass = n;
                    break;
                default:
                    return Fail($"unknown argument '{flag}'");
            }
        }
        if (o.ImageFolder is not null && o.PcrDirectory is not null) return Fail("give --data or --pcr, not both");
        if (o.Pretrained && o.Trainer != "cnn") return Fail("--pretrained fine-tunes the CNN: add --trainer cnn");
        if (o.OutputDirectory.Length == 0) return Fail("--out needs a folder");
        if (o.ImageFolder is null && args.Contains("--data")) return Fail("--data needs a folder");
        if (o.PcrDirectory is null && args.Contains("--pcr")) return Fail("--pcr needs a folder");
        return o;
    }

    private static SampleOptions? Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        PrintUsage();
        return null;
    }
}
