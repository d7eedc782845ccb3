using System.Runtime.InteropServices;
using Microsoft.ML.Pcr.Build;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Tests.Training;

/// <summary>
/// The build's load fix for TorchSharp's glue library (build/Microsoft.ML.Pcr.targets): the output copy loads and
/// trains, the package's original is untouched, and on a system whose libstdc++ lacks GLIBCXX_3.4.32 the original
/// really does not load.
/// </summary>
[TestClass]
public sealed class LibTorchSharpLoadFixTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string PackageOriginal
    {
        get
        {
            string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            string version = typeof(torch).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "";
            return Path.Combine(packages, "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        }
    }

    private static bool SystemLacksVersion(out string? libstdcxx)
    {
        libstdcxx = SystemLibstdcxx.Find();
        return libstdcxx is null || !SystemLibstdcxx.Defines(libstdcxx, Version);
    }

    private static ElfVersionRequirements.VersionNeed Need(string path) =>
        new ElfVersionRequirements(File.ReadAllBytes(path), path).GetVersionNeeds().Single(n => n.Library == "libstdc++.so.6" && n.Version == Version);

    [TestMethod]
    public void TorchSharpLoadsAndTrainsInTheBuiltOutput()
    {
        // A least-squares fit: the loss must fall and the weights must approach the truth.
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        Tensor x = randn(256, 3);
        Tensor truth = tensor(new float[] { 2f, -1f, 0.5f }).reshape(3, 1);
        Tensor y = x.matmul(truth);
        var w = new TorchSharp.Modules.Parameter(zeros(3, 1));
        var optimizer = optim.SGD([w], 0.1);
        float first = 0, last = 0;
        for (int step = 0; step < 100; step++)
        {
            optimizer.zero_grad();
            Tensor loss = nn.functional.mse_loss(x.matmul(w), y);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.IsLessThan(first / 100, last, $"loss fell from {first} to {last}");
        Assert.AreEqual(2f, w[0, 0].item<float>(), 0.01f);
    }

    [TestMethod]
    public void OnlyTheOutputCopyIsMadeWeakAndOnlyWhereTheSystemNeedsIt()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("the load fix applies on Linux only");
        Assert.IsTrue(File.Exists(OutputCopy), OutputCopy);
        bool lacks = SystemLacksVersion(out string? libstdcxx);
        bool weak = (Need(OutputCopy).Flags & ElfVersionRequirements.VerFlagWeak) != 0;
        Assert.AreEqual(lacks, weak, $"the system libstdc++ ({libstdcxx}) {(lacks ? "lacks" : "has")} {Version}, so the output copy is {(lacks ? "" : "not ")}patched");

        if (!File.Exists(PackageOriginal)) Assert.Inconclusive($"the package cache is not where expected ({PackageOriginal})");
        Assert.AreEqual(0, Need(PackageOriginal).Flags & ElfVersionRequirements.VerFlagWeak, "the package cache's original keeps its strong requirement");
    }

    [TestMethod]
    public void TheOriginalDoesNotLoadWithoutTheFix()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("the load fix applies on Linux only");
        if (!SystemLacksVersion(out string? libstdcxx))
        {
            Console.WriteLine($"Skipped: the system libstdc++ ({libstdcxx}) has {Version}, so TorchSharp loads without the fix.");
            Assert.Inconclusive($"the system libstdc++ ({libstdcxx}) has {Version}");
        }
        if (!File.Exists(PackageOriginal)) Assert.Inconclusive($"the package cache is not where expected ({PackageOriginal})");

        // Beside the output copy, so that its RUNPATH ($ORIGIN) finds libtorch as the patched copy does.
        string unpatched = Path.Combine(Path.GetDirectoryName(OutputCopy)!, $"libLibTorchSharp-unpatched-{Guid.NewGuid():N}.so");
        File.Copy(PackageOriginal, unpatched);
        try
        {
            var e = Assert.ThrowsExactly<DllNotFoundException>(() => NativeLibrary.Load(unpatched));
            StringAssert.Contains(e.Message, Version);
        }
        finally
        {
            File.Delete(unpatched);
        }
    }

    [TestMethod]
    public void TheFixRefusesWhenAnotherSymbolNeedsTheVersion()
    {
        if (!File.Exists(PackageOriginal)) Assert.Inconclusive($"the package cache is not where expected ({PackageOriginal})");
        byte[] bytes = File.ReadAllBytes(PackageOriginal);
        var elf = new ElfVersionRequirements(bytes, "libLibTorchSharp.so");
        CollectionAssert.AreEqual(new[] { "_ZSt21ios_base_library_initv" }, elf.GetSymbolsOfVersion(Need(PackageOriginal).Index));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => elf.MakeWeak("libstdc++.so.6", Version, []));
        StringAssert.Contains(e.Message, "_ZSt21ios_base_library_initv");
        Assert.AreEqual(WeakVersionOutcome.MadeWeak, elf.MakeWeak("libstdc++.so.6", Version, ["_ZSt21ios_base_library_initv"]));
        Assert.AreEqual(WeakVersionOutcome.AlreadyWeak, new ElfVersionRequirements(bytes, "copy").MakeWeak("libstdc++.so.6", Version, ["_ZSt21ios_base_library_initv"]));
        Assert.AreEqual(WeakVersionOutcome.NotRequired, new ElfVersionRequirements(bytes, "copy").MakeWeak("libstdc++.so.6", "GLIBCXX_9.9", []));

        Assert.ThrowsExactly<InvalidDataException>(() => new ElfVersionRequirements(bytes.AsSpan(0, 100).ToArray(), "cut").GetVersionNeeds());
        Assert.ThrowsExactly<InvalidDataException>(() => new ElfVersionRequirements("not an ELF file at all, but long enough to have a header....................."u8.ToArray(), "text"));
    }
}
