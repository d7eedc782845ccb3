using System.CommandLine;
using System.Security.Cryptography;
using Microsoft.ML.Pcr.Format;
using Spectre.Console;

namespace PcrTool;

/// <summary>
/// <c>pcr extract &lt;pcrDir&gt; --scan k --out &lt;dir&gt;</c>: every image at scan group k, written as an ImageFolder
/// (<c>&lt;out&gt;/&lt;class&gt;/&lt;original name&gt;</c>, or <c>&lt;out&gt;/&lt;class&gt;/PCR_&lt;n&gt;_&lt;i&gt;.jpg</c> when paths were not stored).
/// </summary>
internal sealed class ExtractCommand(ToolContext context)
{
    private const int ShownNotes = 5;

    private readonly Argument<string> _pcrDir = new("pcrDir") { Description = "The PCR dataset: a directory, or https://account.blob.core.windows.net/container/prefix." };
    private readonly Option<int> _scan = new("--scan") { HelpName = "k", Description = "The scan group k to extract at, 1..L (L: full fidelity, the lossless transcode of each input).", Required = true };
    private readonly Option<string> _out = new("--out") { HelpName = "dir", Description = "The ImageFolder to write; must be empty or absent unless --force.", Required = true };
    private readonly Option<bool> _force = new("--force") { Description = "Write into a non-empty --out, replacing files of the same name (other files are left alone)." };

    public static Command Create(ToolContext context)
    {
        var c = new ExtractCommand(context);
        Validate.AtLeast(c._scan, 1);
        var command = new Command("extract", "Write every image at scan group k as an ImageFolder.") { c._pcrDir, c._scan, c._out, c._force };
        command.SetAction((parsed, ct) => context.RunAsync("extract", () => c.RunAsync(parsed, ct)));
        return command;
    }

    private Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        PcrDataset dataset = PcrDataset.Open(Locations.OpenSource(parsed.GetValue(_pcrDir)!));
        int scan = parsed.GetValue(_scan);
        if (scan > dataset.ScanGroupCount)
            throw new ArgumentException($"--scan {scan} is beyond this dataset's {dataset.ScanGroupCount} scan groups ({dataset.Source.Location}).");
        string output = Path.GetFullPath(parsed.GetValue(_out)!);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !parsed.GetValue(_force))
            throw new IOException($"the output directory '{output}' is not empty; use --force to write into it.");
        Directory.CreateDirectory(output);

        // What was written where: a second image for the same file is either the same bytes (written once) or different (suffixed).
        var written = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var seenContent = new HashSet<(int Label, string Hash)>();
        var notes = new List<string>();
        int files = 0, repeated = 0, suffixed = 0, renamed = 0;
        long bytes = 0;
        bool pathsStored = dataset.Index.RelativePathsStored;

        for (int r = 0; r < dataset.Records.Count; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PcrRecordInfo record = dataset.Records[r];
            using PcrRecordPrefix prefix = dataset.ReadRecord(r, scan);
            for (int i = 0; i < prefix.ImageCount; i++)
            {
                int label = prefix.GetLabel(i);
                string className = label >= 0 && label < dataset.ClassNames.Count ? dataset.ClassNames[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);
                byte[] image = prefix.GetImage(i);
                byte[] digest = SHA256.HashData(image);
                string hash = Convert.ToHexString(digest);
                string relative = TargetPath(className, prefix.GetRelativePath(i), record.Name, i, ref renamed);

                if (written.TryGetValue(relative, out byte[]? existing))
                {
                    if (existing.AsSpan().SequenceEqual(digest))
                    {
                        repeated++;
                        continue;
                    }
                    string unique = Unique(relative, written);
                    notes.Add($"{relative} is stored twice with different bytes: the second copy is {unique}");
                    relative = unique;
                    suffixed++;
                }
                else if (!pathsStored && !seenContent.Add((label, hash)))
                {
                    // No paths to tell images apart: the published converter's last record repeats the previous record's images.
                    repeated++;
                    continue;
                }
                string path = Path.Combine(output, relative.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, image);
                written[relative] = digest;
                seenContent.Add((label, hash));
                files++;
                bytes += image.Length;
            }
        }

        IAnsiConsole console = context.Console;
        console.WriteLine($"wrote {Units.Count(files)} images ({Units.Megabytes(bytes)}) at scan group {scan} of {dataset.ScanGroupCount} to {output}");
        console.WriteLine(pathsStored
            ? "names: <class>/<original path inside its class folder>"
            : "names: <class>/PCR_<record>_<image>.jpg (this dataset stores no original paths)");
        if (repeated > 0)
            console.WriteLine($"{Units.Count(repeated)} images repeat an image already written (same class, same bytes) and were written once"
                + (dataset.Index.FormatVersion == 0 ? " (the published converter repeats the previous record's images in its last record)." : "."));
        if (renamed > 0) console.WriteLine($"{Units.Count(renamed)} images were not JPEG originally (or had no safe name): '.jpg' was added to their names.");
        if (suffixed > 0)
        {
            console.WriteLine($"{Units.Count(suffixed)} images share a name with a different image and were written with a suffix:");
            foreach (string note in notes.Take(ShownNotes)) console.WriteLine("  " + note);
        }
        return Task.FromResult(PcrApp.Success);
    }

    /// <summary>'/'-separated path under the output: the class name, then the stored path without its class folder.</summary>
    private static string TargetPath(string className, string? storedPath, string recordName, int image, ref int renamed)
    {
        string folder = SafeSegment(className);
        if (storedPath is null)
            return $"{folder}/{Path.GetFileNameWithoutExtension(recordName)}_{image}.jpg";
        string[] parts = storedPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string[] inner = parts.Length > 1 ? parts[1..] : parts;
        if (inner.Length == 0 || inner.Any(p => p is "." or ".." || p.Contains('\\') || p.Contains('\0')))
        {
            renamed++;
            return $"{folder}/{Path.GetFileNameWithoutExtension(recordName)}_{image}.jpg";
        }
        string name = inner[^1];
        string extension = Path.GetExtension(name);
        if (!extension.Equals(".jpg", StringComparison.OrdinalIgnoreCase) && !extension.Equals(".jpeg", StringComparison.OrdinalIgnoreCase))
        {
            inner[^1] = name + ".jpg"; // the stored bytes are a JPEG whatever the input was (photo.png -> photo.png.jpg, never colliding with photo.jpg)
            renamed++;
        }
        return folder + "/" + string.Join('/', inner);
    }

    private static string SafeSegment(string name) =>
        name.Length == 0 || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0 ? "_" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(name)) : name;

    private static string Unique(string relative, Dictionary<string, byte[]> written)
    {
        string stem = relative[..^Path.GetExtension(relative).Length], extension = Path.GetExtension(relative);
        for (int n = 2; ; n++)
        {
            string candidate = $"{stem}~{n}{extension}";
            if (!written.ContainsKey(candidate)) return candidate;
        }
    }
}
