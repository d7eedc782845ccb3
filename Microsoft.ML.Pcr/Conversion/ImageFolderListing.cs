using System.IO.Enumeration;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>One input image: where it is, its path relative to the ImageFolder root, and its label.</summary>
internal readonly record struct SourceImage(string FullPath, string RelativePath, int Label);

/// <summary>
/// The images of an ImageFolder: one sub-folder per class, classes sorted by ordinal name to labels (as
/// PyTorch's and TensorFlow's ImageFolder readers do), nested folders belonging to their class, hidden files
/// and folders ignored. A class folder may be a symbolic link; links to folders inside a class folder are not
/// followed (they could loop or repeat images) and are reported.
/// </summary>
internal sealed class ImageFolderListing
{
    private static readonly EnumerationOptions Recursive = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, // .NET marks dot-files hidden on Unix too
        IgnoreInaccessible = false,
    };

    private static readonly EnumerationOptions TopLevel = new()
    {
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        MatchType = MatchType.Simple,
    };

    public required string Root { get; init; }

    public required IReadOnlyList<string> ClassNames { get; init; }

    public required IReadOnlyList<SourceImage> Images { get; init; }

    public required IReadOnlyList<string> EmptyClasses { get; init; }

    /// <summary>Files outside any class folder: not converted, reported.</summary>
    public required IReadOnlyList<SkippedFile> StrayFiles { get; init; }

    public static ImageFolderListing Read(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"Image folder '{full}' does not exist.");

        string[] classes = [.. Directory.EnumerateDirectories(full, "*", TopLevel).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        if (classes.Length == 0)
            throw new InvalidDataException($"Image folder '{full}' has no class folders; expected one sub-folder per class (e.g. '{Path.Combine(full, "cat")}').");

        var images = new List<SourceImage>();
        var empty = new List<string>();
        var skipped = new List<SkippedFile>();
        for (int label = 0; label < classes.Length; label++)
        {
            string classDir = Path.Combine(full, classes[label]);
            int before = images.Count;
            foreach (var (path, isLinkedFolder) in EnumerateClassFolder(classDir).OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                string relative = ToRelative(full, path);
                if (isLinkedFolder) skipped.Add(new SkippedFile(relative, "symbolic link to a folder, not followed"));
                else images.Add(new SourceImage(path, relative, label));
            }
            if (images.Count == before) empty.Add(classes[label]);
        }
        skipped.AddRange(Directory.EnumerateFiles(full, "*", TopLevel).Select(f => new SkippedFile(ToRelative(full, f), "not inside a class folder")));
        SkippedFile[] stray = [.. skipped.OrderBy(s => s.RelativePath, StringComparer.Ordinal)];
        return new ImageFolderListing { Root = full, ClassNames = classes, Images = images, EmptyClasses = empty, StrayFiles = stray };
    }

    /// <summary>Every file under <paramref name="classDir"/>, recursing into real folders only; links to folders come back flagged.</summary>
    private static IEnumerable<(string Path, bool IsLinkedFolder)> EnumerateClassFolder(string classDir) =>
        new FileSystemEnumerable<(string, bool)>(classDir,
            (ref FileSystemEntry e) => (e.ToFullPath(), e.IsDirectory),
            Recursive)
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory || (e.Attributes & FileAttributes.ReparsePoint) != 0,
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };

    internal static string ToRelative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
