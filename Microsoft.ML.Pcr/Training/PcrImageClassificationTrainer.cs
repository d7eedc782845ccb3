using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The <see cref="IEstimator{TTransformer}"/> for training a convolutional network (TorchSharp) to classify images
/// from their encoded bytes: the multiclass image classifier ML.NET's <c>Microsoft.ML.Vision</c> offers, trained end to
/// end and reading the data anew every epoch. On a <see cref="PcrDataView"/> each epoch reads at the scan group its
/// <see cref="Options.ScanPolicy"/> chooses, so low-fidelity epochs read fewer bytes.
/// </summary>
/// <remarks>
/// Input: a key-typed label column with at least two classes and a variable-length vector of Byte of encoded images
/// (what <c>LoadFromPcr</c> and <c>LoadRawImageBytes</c> give). Output: <c>Score</c> (vector of Single, one
/// probability per class) and <c>PredictedLabel</c> (key with the label's class names).
/// </remarks>
public sealed class PcrImageClassificationTrainer : IEstimator<PcrImageClassificationTransformer>
{
    /// <summary>The network architectures: trained from random initialization, or fine-tuned from ImageNet weights.</summary>
    public enum Architecture
    {
        /// <summary>A small residual network (three basic blocks, about 0.2 M parameters) suited to CPU training at 32-96 pixels. The default.</summary>
        SmallResNet,

        /// <summary>TorchVision's ResNet-18 (11 M parameters).</summary>
        ResNet18,

        /// <summary>
        /// ResNet-18 with ImageNet weights from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (its
        /// <c>ResNet18.onnx</c>, read from <see cref="Options.PretrainedModelPath"/>) and a new classification head,
        /// fine-tuned as <see cref="Options.FineTune"/> says. Any <see cref="Options.InputSize"/> of 32 or more works
        /// (112 or 160 cost a quarter or a half of 224's time).
        /// </summary>
        ResNet18Pretrained,
    }

    /// <summary>What <see cref="Architecture.ResNet18Pretrained"/> trains; the rest of the backbone stays frozen (requires_grad false).</summary>
    public enum FineTuneMode
    {
        /// <summary>Only the new classification head (the backbone is a fixed feature extractor). The default.</summary>
        HeadOnly,

        /// <summary>The head and the backbone's last stage (layer4).</summary>
        HeadAndLastStage,

        /// <summary>The whole network.</summary>
        All,
    }

    /// <summary>How the learning rate changes over the epochs.</summary>
    public enum LearningRateSchedule
    {
        /// <summary>The same learning rate throughout.</summary>
        Constant,

        /// <summary>Cosine decay from <see cref="Options.LearningRate"/> to zero over all steps of <see cref="Options.Epoch"/> epochs.</summary>
        Cosine,
    }

    /// <summary>Options for <see cref="PcrImageClassificationTrainer"/>; names follow ML.NET's <c>ImageClassificationTrainer.Options</c>.</summary>
    public sealed class Options
    {
        /// <summary>The label column: a key with at least two classes.</summary>
        public string LabelColumnName = "Label";

        /// <summary>The encoded image column: a variable-length vector of Byte.</summary>
        public string FeatureColumnName = "Image";

        /// <summary>The score column produced: one probability per class.</summary>
        public string ScoreColumnName = "Score";

        /// <summary>The predicted label column produced: a key with the label's class names.</summary>
        public string PredictedLabelColumnName = "PredictedLabel";

        /// <summary>The network.</summary>
        public Architecture Arch = Architecture.SmallResNet;

        /// <summary>
        /// The pretrained model for <see cref="Architecture.ResNet18Pretrained"/>; null for <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c>
        /// beside the application, where the package Microsoft.ML.DnnImageFeaturizer.ResNet18 puts it (its preprocessing
        /// model, <c>ResNetPreprocess.onnx</c>, is read from <c>../ResNetPrepOnnx/</c> beside the model, as the package lays them out).
        /// </summary>
        public string? PretrainedModelPath;

        /// <summary>What <see cref="Architecture.ResNet18Pretrained"/> trains.</summary>
        public FineTuneMode FineTune = FineTuneMode.HeadOnly;

        /// <summary>The backbone's learning rate as a share of <see cref="LearningRate"/> (the head's), for the backbone parameters <see cref="FineTune"/> trains; in (0, 1].</summary>
        public float BackboneLearningRateFactor = 0.1f;

        /// <summary>
        /// Keep the pretrained backbone's batch-norm statistics (running mean and variance) fixed, using them also while
        /// training; their scale and shift still train where <see cref="FineTune"/> trains them. Null (the default)
        /// keeps them fixed unless <see cref="FineTune"/> is <see cref="FineTuneMode.All"/> and <see cref="BatchSize"/>
        /// is 16 or more: smaller batches estimate them poorly, and a frozen backbone should compute the features it
        /// was trained to compute.
        /// </summary>
        public bool? FreezeBatchNormStatistics;

        /// <summary>The number of epochs (ML.NET's image trainer defaults to 200 because it trains only a final layer; a network trained end to end on CPU needs far fewer).</summary>
        public int Epoch = 10;

        /// <summary>Images per training step.</summary>
        public int BatchSize = 32;

        /// <summary>The initial learning rate (AdamW).</summary>
        public float LearningRate = 0.003f;

        /// <summary>How the learning rate changes over the epochs.</summary>
        public LearningRateSchedule LearningRateScheduler = LearningRateSchedule.Cosine;

        /// <summary>AdamW's decoupled weight decay.</summary>
        public float WeightDecay = 5e-4f;

        /// <summary>The side of the square network input, in pixels (16 or more).</summary>
        public int InputSize = 64;

        /// <summary>Random resized crop and horizontal flip during training.</summary>
        public bool Augment = true;

        /// <summary>The smallest crop area of the random resized crop, as a share of the image (0..1].</summary>
        public float MinCropArea = 0.35f;

        /// <summary>Mirror a random half of the training images horizontally (with <see cref="Augment"/>).</summary>
        public bool HorizontalFlip = true;

        /// <summary>A validation set (same schema), read at full fidelity after each epoch; takes precedence over <see cref="ValidationSetFraction"/>.</summary>
        public IDataView? ValidationSet;

        /// <summary>The share (0..1) of the training rows held out for validation (chosen by row id), when <see cref="ValidationSet"/> is null; null for none.</summary>
        public float? ValidationSetFraction;

        /// <summary>Stops training early when the watched metric stops improving; null to run every epoch.</summary>
        public PcrEarlyStopping? EarlyStoppingCriteria;

        /// <summary>Called after every epoch with what it measured.</summary>
        public Action<PcrTrainingEpochMetrics>? MetricsCallback;

        /// <summary>Reported after every training batch (for a progress bar).</summary>
        public IProgress<PcrTrainingProgress>? Progress;

        /// <summary>Stops training (with <see cref="OperationCanceledException"/>) when cancelled.</summary>
        public CancellationToken CancellationToken;

        /// <summary>
        /// The scan group of each epoch for a <see cref="PcrDataView"/>; null (the default) reads every epoch at the scan group the
        /// view was loaded at (<c>LoadFromPcr(dir, scan: 3)</c> trains at 3). Data of another kind allows only full fidelity.
        /// </summary>
        public IScanPolicy? ScanPolicy;

        /// <summary>The seed of weight initialization, shuffling and augmentation; null for MLContext's seed (or 0 without one).</summary>
        public int? Seed;

        /// <summary>
        /// The threads TorchSharp computes on; null for half the cores (at least 1), leaving the rest to the thread-pool
        /// decoders that prepare the next batches: at 64x64, decoding an image costs about as much CPU as the network's
        /// step on it, and TorchSharp's threads slow down sharply when they share their cores with the decoders (benchmarks
        /// table 12b). With 1 thread, the same seed gives the same model.
        /// </summary>
        public int? NumberOfThreads;

        /// <summary>Decoded batches in flight (being decoded or waiting), which bounds memory; null for threads + 1, at least 2.</summary>
        public int? BatchesInFlight;

        /// <summary>Skip (and count) training and validation images whose bytes cannot be decoded, instead of failing with an error that names the row.</summary>
        public bool SkipUndecodableImages;

        internal Options Clone() => (Options)MemberwiseClone();
    }

    /// <summary>The ML.NET host the trainer logs to and the device settings it honours.</summary>
    internal sealed record Host(IHostEnvironment Environment, int? GpuDeviceId, bool FallbackToCpu);

    private static readonly Lock InitializationLock = new();

    private readonly Host _host;
    private readonly Options _options;

    internal IImageTensorDecoder Decoder { get; set; } = JpegImageTensorDecoder.Instance;

    internal PcrImageClassificationTrainer(Host host, Options options)
    {
        _host = host;
        _options = Check(options.Clone());
    }

    private static Options Check(Options o)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(o.LabelColumnName, nameof(Options.LabelColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(o.FeatureColumnName, nameof(Options.FeatureColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(o.ScoreColumnName, nameof(Options.ScoreColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(o.PredictedLabelColumnName, nameof(Options.PredictedLabelColumnName));
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Epoch, 1, nameof(Options.Epoch));
        ArgumentOutOfRangeException.ThrowIfLessThan(o.BatchSize, 1, nameof(Options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(o.InputSize, 16, nameof(Options.InputSize));
        if (!(o.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(Options.LearningRate), o.LearningRate, "The learning rate must be positive.");
        if (!(o.WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(Options.WeightDecay), o.WeightDecay, "The weight decay must be 0 or more.");
        if (!(o.MinCropArea is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(Options.MinCropArea), o.MinCropArea, "The smallest crop area must be in (0, 1].");
        if (o.ValidationSetFraction is float f && !(f is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(Options.ValidationSetFraction), f, "The validation share must be in (0, 1).");
        if (o.NumberOfThreads is < 1) throw new ArgumentOutOfRangeException(nameof(Options.NumberOfThreads), o.NumberOfThreads, "The thread count must be 1 or more.");
        if (o.BatchesInFlight is < 1) throw new ArgumentOutOfRangeException(nameof(Options.BatchesInFlight), o.BatchesInFlight, "At least one batch must be in flight.");
        if (!(o.BackboneLearningRateFactor is > 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(Options.BackboneLearningRateFactor), o.BackboneLearningRateFactor, "The backbone's learning-rate factor must be in (0, 1].");
        if (o.Arch == Architecture.ResNet18Pretrained && o.InputSize < 32)
            throw new ArgumentOutOfRangeException(nameof(Options.InputSize), o.InputSize, "The pretrained ResNet-18 needs an input size of 32 or more.");
        return o;
    }

    /// <summary>
    /// Returns the <see cref="SchemaShape"/> of the schema the trained transformer will produce: the input columns plus
    /// the score and predicted label columns.
    /// </summary>
    /// <param name="inputSchema">The shape of the training data's schema.</param>
    /// <returns>The shape of the output schema.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaShape.Column? label = null, image = null;
        foreach (SchemaShape.Column c in inputSchema)
        {
            if (c.Name == _options.LabelColumnName) label = c;
            if (c.Name == _options.FeatureColumnName) image = c;
        }
        if (label is null) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{_options.LabelColumnName}' not found");
        if (!label.Value.IsKey) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for label column '{_options.LabelColumnName}': expected Key, got {label.Value.ItemType}");
        if (image is null) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{_options.FeatureColumnName}' not found");
        if (image.Value.Kind != SchemaShape.Column.VectorKind.VariableVector || image.Value.ItemType != NumberDataViewType.Byte)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for feature column '{_options.FeatureColumnName}': expected VarVector<Byte>, got {image.Value.ItemType} ({image.Value.Kind})");
        return ScoringSchema.AddShapes(inputSchema, _options.FeatureColumnName, _options.ScoreColumnName, _options.PredictedLabelColumnName);
    }

    /// <summary>Trains the network on <paramref name="input"/> and returns the transformer that scores images with it.</summary>
    /// <param name="input">The training data: label and encoded image columns.</param>
    /// <returns>The trained transformer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentException">A non-full scan policy was given for data that is not a <see cref="PcrDataView"/>.</exception>
    /// <exception cref="PcrFormatException">An image cannot be decoded (without <see cref="Options.SkipUndecodableImages"/>).</exception>
    /// <exception cref="OperationCanceledException"><see cref="Options.CancellationToken"/> was cancelled.</exception>
    public PcrImageClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Options o = _options;
        (int labelColumn, int imageColumn, string[] classNames) = ScoringSchema.CheckTrainingSchema(input.Schema, o.LabelColumnName, o.FeatureColumnName, nameof(input));
        if (o.ValidationSet is { } validationSet)
            ScoringSchema.CheckTrainingSchema(validationSet.Schema, o.LabelColumnName, o.FeatureColumnName, nameof(Options.ValidationSet));
        var pcr = input as PcrDataView;
        // Without a policy, the view's own scan group: what LoadFromPcr(dir, scan: k) or WithScan(k) asked for.
        IScanPolicy policy = o.ScanPolicy ?? (pcr is not null ? ScanPolicy.Fixed(pcr.Scan) : ScanPolicy.Full);
        if (pcr is null && !policy.IsFullFidelity)
            throw new ArgumentException($"The scan policy '{policy}' applies to a PcrDataView (mlContext.Data.LoadFromPcr); the training data is a {input.GetType().Name}, which has no scan groups.", nameof(input));

        Device device = ChooseDevice(_host.GpuDeviceId, _host.FallbackToCpu);
        int threads = o.NumberOfThreads ?? Math.Max(1, Environment.ProcessorCount / 2);
        // Only when it changes: libtorch resizes its process-wide thread pool, which must not race with work on other threads.
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
        int seed = o.Seed ?? 0;
        using IChannel channel = _host.Environment.Start(nameof(PcrImageClassificationTrainer));

        Func<ulong, bool>? trainRows = null;
        IDataView? validation = o.ValidationSet;
        Func<ulong, bool>? validationRows = null;
        if (validation is null && o.ValidationSetFraction is float fraction)
        {
            // Held out by row id (stable across epochs, shuffles and scan groups).
            validationRows = id => HeldOut(id, seed, fraction);
            trainRows = id => !HeldOut(id, seed, fraction);
            validation = pcr is not null ? pcr.WithScan(pcr.ScanGroupCount) : input;
        }
        else if (validation is PcrDataView validationPcr)
            validation = validationPcr.WithScan(validationPcr.ScanGroupCount);

        nn.Module<Tensor, Tensor> model;
        lock (InitializationLock)
        {
            // TorchSharp's generator is process-wide: seed and initialize under one lock so that trainers on other threads do not interleave.
            torch.manual_seed(seed);
            model = o.Arch == Architecture.ResNet18Pretrained
                ? new PretrainedResNet(Onnx.OnnxResNet18.LoadBackbone(o.PretrainedModelPath), classNames.Length)
                : CnnNetworks.Create(o.Arch, classNames.Length);
        }
        model.to(device);
        (AdamW optimizer, float[] groupFactors) = CreateOptimizer(model, o);
        long? rows = input.GetRowCount();
        long? stepsPerEpoch = rows is long r && trainRows is null ? (r + o.BatchSize - 1) / o.BatchSize : null;
        long step = 0;
        var history = new List<PcrTrainingEpochMetrics>();
        // The hook through which a measuring scan policy sees gradients: the same rows, unaugmented, at any scan group.
        GradientProbe? probe = pcr is null ? null : new GradientProbe(model, device, pcr, Settings(labelColumn, imageColumn, false, seed, threads, trainRows), seed, o.CancellationToken);
        channel.Info(MessageSensitivity.None, $"Training {o.Arch} at {o.InputSize}x{o.InputSize} on {device.type} ({threads} threads), {classNames.Length} classes, {o.Epoch} epochs, scan policy {policy}.");
        try
        {
            for (int epoch = 0; epoch < o.Epoch; epoch++)
            {
                o.CancellationToken.ThrowIfCancellationRequested();
                int scanCount = pcr?.ScanGroupCount ?? 1;
                var policyContext = new ScanPolicyContext(epoch, o.Epoch, scanCount, history, probe);
                int scan = policy.ChooseScan(policyContext);
                if (policyContext.Decision is { } decision) channel.Info(MessageSensitivity.None, decision.ToString());
                if (scan < 1 || scan > scanCount)
                    throw new InvalidOperationException($"The scan policy '{policy}' chose scan group {scan} for epoch {epoch}; the data has scan groups 1..{scanCount}.");
                IDataView epochData = pcr?.WithScan(scan) ?? input;
                long bytesBefore = (epochData as PcrDataView)?.BytesRead ?? 0;

                model.train();
                var settings = Settings(labelColumn, imageColumn, o.Augment, seed, threads, trainRows);
                var watch = Stopwatch.StartNew();
                var wait = new Stopwatch();
                double lossSum = 0;
                long images = 0, counted = 0, correct = 0, encodedBytes = 0, skipped = 0;
                float lr = o.LearningRate;
                using (var feeder = new BatchFeeder(epochData, new Random(unchecked(seed + epoch)), epoch, settings, o.CancellationToken))
                {
                    foreach (ImageBatch batch in feeder.Batches(wait))
                    {
                        using (batch)
                        using (DisposeScope scope = NewDisposeScope())
                        {
                            images += batch.Count;
                            encodedBytes += batch.EncodedBytes;
                            skipped += batch.Skipped;
                            int valid = batch.Count - batch.Skipped;
                            if (valid == 0) continue;
                            if (o.LearningRateScheduler == LearningRateSchedule.Cosine && stepsPerEpoch is long spe)
                            {
                                double progress = Math.Min(1, (double)step / (spe * o.Epoch));
                                lr = (float)(o.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress)));
                                SetLearningRate(optimizer, lr, groupFactors);
                            }
                            else if (o.LearningRateScheduler == LearningRateSchedule.Cosine)
                            {
                                lr = (float)(o.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * epoch / o.Epoch)));
                                SetLearningRate(optimizer, lr, groupFactors);
                            }
                            Tensor x = batch.Images.to(device), y = batch.Labels.to(device);
                            optimizer.zero_grad();
                            Tensor logits = model.forward(x);
                            Tensor loss = nn.functional.cross_entropy(logits, y);
                            loss.backward();
                            optimizer.step();
                            step++;
                            float l = loss.item<float>();
                            lossSum += (double)l * valid;
                            counted += valid;
                            correct += logits.argmax(1).eq(y).sum().item<long>();
                            o.Progress?.Report(new PcrTrainingProgress(epoch, o.Epoch, images, rows, l));
                        }
                    }
                }
                watch.Stop();
                long bytesRead = epochData is PcrDataView view ? view.BytesRead - bytesBefore : encodedBytes;
                (float? validationAccuracy, float? validationLoss, long validationSkipped) = validation is null
                    ? (null, null, 0)
                    : Evaluate(model, device, validation, validationRows, seed, threads, o.CancellationToken, labelColumn, imageColumn);
                var metrics = new PcrTrainingEpochMetrics
                {
                    Epoch = epoch,
                    Scan = pcr is null ? 0 : scan,
                    BytesRead = bytesRead,
                    Images = images - skipped,
                    SkippedImages = skipped + validationSkipped,
                    Loss = counted == 0 ? float.NaN : (float)(lossSum / counted),
                    TrainAccuracy = counted == 0 ? 0 : (float)correct / counted,
                    ValidationAccuracy = validationAccuracy,
                    ValidationLoss = validationLoss,
                    LearningRate = lr,
                    ImagesPerSecond = images / Math.Max(1e-9, watch.Elapsed.TotalSeconds),
                    DataWaitShare = wait.Elapsed.TotalSeconds / Math.Max(1e-9, watch.Elapsed.TotalSeconds),
                    Duration = watch.Elapsed,
                    ScanDecision = policyContext.Decision,
                };
                history.Add(metrics);
                channel.Info(MessageSensitivity.None, metrics.ToString());
                o.MetricsCallback?.Invoke(metrics);
                if (o.EarlyStoppingCriteria?.ShouldStop(history) == true)
                {
                    channel.Info(MessageSensitivity.None, $"Early stopping after epoch {epoch}: no improvement of {o.EarlyStoppingCriteria.Metric} by {o.EarlyStoppingCriteria.MinDelta} in {o.EarlyStoppingCriteria.Patience} epochs.");
                    break;
                }
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            optimizer.Dispose();
        }
        model.eval();
        var transformer = new PcrImageClassificationTransformer(model, device, o.Arch, o.InputSize, classNames,
            o.FeatureColumnName, o.ScoreColumnName, o.PredictedLabelColumnName, Decoder);
        transformer.History = history;
        return transformer;
    }

    /// <summary>AdamW over the trained parameters: one group for a network trained whole, the head and the backbone (at its factor) for a pretrained one.</summary>
    private static (AdamW, float[]) CreateOptimizer(nn.Module<Tensor, Tensor> model, Options o)
    {
        if (model is not PretrainedResNet pretrained)
            return (optim.AdamW(model.parameters(), o.LearningRate, weight_decay: o.WeightDecay), [1f]);
        bool freeze = o.FreezeBatchNormStatistics ?? !(o.FineTune == FineTuneMode.All && o.BatchSize >= 16);
        var groups = pretrained.Configure(o.FineTune, o.BackboneLearningRateFactor, freeze);
        var paramGroups = groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr: o.LearningRate * g.Factor, weight_decay: o.WeightDecay));
        return (optim.AdamW(paramGroups, o.LearningRate, weight_decay: o.WeightDecay), groups.Select(g => g.Factor).ToArray());
    }

    private static void SetLearningRate(AdamW optimizer, float lr, float[] factors)
    {
        int i = 0;
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr * factors[Math.Min(i++, factors.Length - 1)];
    }

    private FeedSettings Settings(int labelColumn, int imageColumn, bool augment, int seed, int threads, Func<ulong, bool>? rows) =>
        new(labelColumn, imageColumn, _options.FeatureColumnName, _options.BatchSize, _options.InputSize, augment, _options.MinCropArea,
            _options.HorizontalFlip, seed, _options.SkipUndecodableImages, _options.BatchesInFlight ?? Math.Max(2, threads + 1), Decoder, rows);

    private (float?, float?, long) Evaluate(nn.Module<Tensor, Tensor> model, Device device, IDataView data, Func<ulong, bool>? rows,
        int seed, int threads, CancellationToken cancellation, int labelColumn, int imageColumn)
    {
        if (data.Schema.GetColumnOrNull(_options.LabelColumnName) is { } l) labelColumn = l.Index;
        if (data.Schema.GetColumnOrNull(_options.FeatureColumnName) is { } f) imageColumn = f.Index;
        model.eval();
        long counted = 0, correct = 0, skipped = 0;
        double lossSum = 0;
        using (no_grad())
        using (var feeder = new BatchFeeder(data, null, 0, Settings(labelColumn, imageColumn, false, seed, threads, rows), cancellation))
        {
            foreach (ImageBatch batch in feeder.Batches(new Stopwatch()))
            {
                using (batch)
                using (DisposeScope scope = NewDisposeScope())
                {
                    skipped += batch.Skipped;
                    int valid = batch.Count - batch.Skipped;
                    if (valid == 0) continue;
                    Tensor y = batch.Labels.to(device);
                    Tensor logits = model.forward(batch.Images.to(device));
                    lossSum += (double)nn.functional.cross_entropy(logits, y).item<float>() * valid;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    counted += valid;
                }
            }
        }
        return counted == 0 ? (null, null, skipped) : ((float)correct / counted, (float)(lossSum / counted), skipped);
    }

    private static bool HeldOut(ulong id, int seed, float fraction)
    {
        ulong z = (id + (ulong)(uint)seed * 0x9E3779B97F4A7C15UL) * 0xBF58476D1CE4E5B9UL;
        z ^= z >> 31;
        return (z % 10_000) < fraction * 10_000;
    }

    /// <summary>CUDA device <see cref="MLContext.GpuDeviceId"/> when it is set and CUDA is available; CPU otherwise, or an error when <see cref="MLContext.FallbackToCpu"/> is false (as Microsoft.ML.TorchSharp does).</summary>
    internal static Device ChooseDevice(int? gpuDeviceId, bool fallbackToCpu)
    {
        if (gpuDeviceId is int gpu)
        {
            if (cuda.is_available()) return new Device(DeviceType.CUDA, gpu);
            if (!fallbackToCpu)
                throw new InvalidOperationException($"MLContext.GpuDeviceId is {gpu} but CUDA is not available (TorchSharp found no CUDA libtorch) and MLContext.FallbackToCpu is false.");
        }
        return CPU;
    }
}
