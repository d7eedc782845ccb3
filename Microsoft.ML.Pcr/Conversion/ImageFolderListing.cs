using System.IO.Enumeration;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>One input image: where it is, its path relative to the ImageFolder root, and its label.</summary>
internal readonly record struct SourceImage(string FullPath, string RelativePath, int Label);

/// <summary>
/// The images of an ImageFolder: one sub-folder per class, classes sorted by ordinal name to labels (as
/// PyTorch's and TensorFlow's ImageFolder readers do), nested folders belonging to their class, hidden files
/// and folders ignored and listed as such (so that a user can see why a count differs). A class folder may be a
/// symbolic link; links to folders inside a class folder are not followed (they could loop or repeat images) and
/// are reported.
/// </summary>
internal sealed class ImageFolderListing
{
    // .NET marks dot-files hidden on Unix too. Hidden entries are enumerated, to be listed as ignored, but never read.
    private const FileAttributes HiddenAttributes = FileAttributes.Hidden | FileAttributes.System;

    private static readonly EnumerationOptions Recursive = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
    };

    private static readonly EnumerationOptions TopLevel = new()
    {
        AttributesToSkip = 0,
        MatchType = MatchType.Simple,
    };

    private enum EntryKind { File, LinkedFolder, HiddenFile, HiddenFolder }

    public required string Root { get; init; }

    public required IReadOnlyList<string> ClassNames { get; init; }

    public required IReadOnlyList<SourceImage> Images { get; init; }

    public required IReadOnlyList<string> EmptyClasses { get; init; }

    /// <summary>Files outside any class folder: not converted, reported.</summary>
    public required IReadOnlyList<SkippedFile> StrayFiles { get; init; }

    /// <summary>Hidden files and folders (and hidden top-level folders, which are not classes): never read, listed so a user sees why counts differ.</summary>
    public IReadOnlyList<SkippedFile> Ignored { get; init; } = [];

    public static ImageFolderListing Read(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"Image folder '{full}' does not exist.");

        var ignored = new List<SkippedFile>();
        var classList = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories(full, "*", TopLevel))
        {
            if (IsHidden(dir)) ignored.Add(new SkippedFile(ToRelative(full, dir) + "/", "hidden folder, not a class"));
            else classList.Add(Path.GetFileName(dir));
        }
        string[] classes = [.. classList.Order(StringComparer.Ordinal)];
        if (classes.Length == 0)
            throw new InvalidDataException($"Image folder '{full}' has no class folders; expected one sub-folder per class (e.g. '{Path.Combine(full, "cat")}').");

        var images = new List<SourceImage>();
        var empty = new List<string>();
        var skipped = new List<SkippedFile>();
        for (int label = 0; label < classes.Length; label++)
        {
            string classDir = Path.Combine(full, classes[label]);
            int before = images.Count;
            foreach (var (path, kind) in EnumerateClassFolder(classDir).OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                string relative = ToRelative(full, path);
                switch (kind)
                {
                    case EntryKind.LinkedFolder: skipped.Add(new SkippedFile(relative, "symbolic link to a folder, not followed")); break;
                    case EntryKind.HiddenFile: ignored.Add(new SkippedFile(relative, "hidden file")); break;
                    case EntryKind.HiddenFolder: ignored.Add(new SkippedFile(relative + "/", "hidden folder, not read")); break;
                    default: images.Add(new SourceImage(path, relative, label)); break;
                }
            }
            if (images.Count == before) empty.Add(classes[label]);
        }
        foreach (string file in Directory.EnumerateFiles(full, "*", TopLevel))
        {
            if (IsHidden(file)) ignored.Add(new SkippedFile(ToRelative(full, file), "hidden file"));
            else skipped.Add(new SkippedFile(ToRelative(full, file), "not inside a class folder"));
        }
        SkippedFile[] stray = [.. skipped.OrderBy(s => s.RelativePath, StringComparer.Ordinal)];
        return new ImageFolderListing
        {
            Root = full, ClassNames = classes, Images = images, EmptyClasses = empty, StrayFiles = stray,
            Ignored = [.. ignored.OrderBy(s => s.RelativePath, StringComparer.Ordinal)],
        };
    }

    private static bool IsHidden(string path) => (File.GetAttributes(path) & HiddenAttributes) != 0;

    /// <summary>
    /// Every file under <paramref name="classDir"/>, recursing into real, visible folders only; links to folders, hidden files and hidden
    /// folders (not entered) come back flagged.
    /// </summary>
    private static IEnumerable<(string Path, EntryKind Kind)> EnumerateClassFolder(string classDir) =>
        new FileSystemEnumerable<(string, EntryKind)>(classDir,
            (ref FileSystemEntry e) => (e.ToFullPath(), (e.Attributes & HiddenAttributes) != 0
                ? e.IsDirectory ? EntryKind.HiddenFolder : EntryKind.HiddenFile
                : e.IsDirectory ? EntryKind.LinkedFolder : EntryKind.File),
            Recursive)
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) =>
                !e.IsDirectory || (e.Attributes & (FileAttributes.ReparsePoint | HiddenAttributes)) != 0,
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & (FileAttributes.ReparsePoint | HiddenAttributes)) == 0,
        };

    internal static string ToRelative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
