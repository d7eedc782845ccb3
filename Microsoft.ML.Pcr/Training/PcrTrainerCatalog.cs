using System.Reflection;
using Microsoft.ML.Pcr.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML;

/// <summary>
/// Extension methods of <see cref="MulticlassClassificationCatalog.MulticlassClassificationTrainers"/>
/// (<c>mlContext.MulticlassClassification.Trainers</c>) for the PCR-aware image classification trainer.
/// </summary>
public static class PcrTrainerCatalog
{
    /// <summary>
    /// Create a <see cref="PcrImageClassificationTrainer"/>, which trains a convolutional network (TorchSharp) on encoded
    /// images end to end, reading the data anew every epoch (at the scan group <paramref name="scanPolicy"/> chooses
    /// when the data is a PCR view).
    /// </summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">The label column: a key with at least two classes.</param>
    /// <param name="featureColumnName">The encoded image column: a variable-length vector of Byte.</param>
    /// <param name="scoreColumnName">The score column produced (vector of Single).</param>
    /// <param name="predictedLabelColumnName">The predicted label column produced (key).</param>
    /// <param name="epoch">The number of epochs.</param>
    /// <param name="inputSize">The side of the square network input, in pixels.</param>
    /// <param name="scanPolicy">The scan group of each epoch; null for full fidelity.</param>
    /// <param name="validationSet">Data to measure accuracy on after each epoch; null for none.</param>
    /// <returns>The trainer.</returns>
    public static PcrImageClassificationTrainer PcrImageClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Image", string scoreColumnName = "Score",
        string predictedLabelColumnName = "PredictedLabel", int epoch = 10, int inputSize = 64, IScanPolicy? scanPolicy = null, IDataView? validationSet = null)
    {
        return PcrImageClassification(catalog, new PcrImageClassificationTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            Epoch = epoch,
            InputSize = inputSize,
            ScanPolicy = scanPolicy ?? ScanPolicy.Full,
            ValidationSet = validationSet,
        });
    }

    /// <summary>Create a <see cref="PcrImageClassificationTrainer"/> with advanced options.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="options">The trainer's options.</param>
    /// <returns>The trainer.</returns>
    public static PcrImageClassificationTrainer PcrImageClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        PcrImageClassificationTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new PcrImageClassificationTrainer(HostOf(catalog), options);
    }

    // The catalog keeps its host environment in an explicit IInternalCatalog.Environment (ML.NET's own trainers reach it
    // through internal helpers); it routes channel messages to MLContext.Log and carries GpuDeviceId and FallbackToCpu
    // (on its internal IHostEnvironmentInternal), which the trainer reads by name.
    private static PcrImageClassificationTrainer.Host HostOf(object catalog)
    {
        const BindingFlags Members = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        for (Type? t = catalog.GetType(); t is not null; t = t.BaseType)
        {
            foreach (PropertyInfo property in t.GetProperties(Members | BindingFlags.DeclaredOnly))
            {
                if (property.GetIndexParameters().Length == 0 && property.PropertyType == typeof(IHostEnvironment) && property.GetValue(catalog) is IHostEnvironment env)
                    return new PcrImageClassificationTrainer.Host(env, Read<int?>(env, "GpuDeviceId"), Read<bool?>(env, "FallbackToCpu") ?? false);
            }
        }
        throw new NotSupportedException("Could not find the host environment behind this catalog (this version of ML.NET keeps it elsewhere); use mlContext.MulticlassClassification.Trainers.");
    }

    private static T? Read<T>(object env, string name)
    {
        foreach (Type t in env.GetType().GetInterfaces().Prepend(env.GetType()))
            if (t.GetProperty(name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public) is { } p && p.GetValue(env) is T value)
                return value;
        return default;
    }
}
