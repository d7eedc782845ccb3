// samples/ReadmeSnippets/ManyTrainingProcesses.cs: one of several training processes, which resumes mid-epoch after a restart
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;

namespace ReadmeSnippets;

/// <summary>The epoch loop of one worker among several (torchrun, mpirun or the cluster's scheduler sets RANK and WORLD_SIZE).</summary>
public static class ManyTrainingProcesses
{
    /// <summary>Feeds this worker's rows of <paramref name="epochs"/> epochs to <paramref name="trainStep"/>, saving its place in <paramref name="checkpoint"/> every <paramref name="saveEvery"/> rows.</summary>
    public static void Train(string pcrDirectory, string checkpoint, int epochs, int saveEvery, Action<VBuffer<byte>, uint> trainStep)
    {
        var ml = new MLContext(seed: 1);
        // WorkerIndex and WorkerCount left unset: they come from RANK and WORLD_SIZE (0 of 1 when those are unset).
        var options = new PcrLoader.Options { Shuffle = true, Seed = 42 };
        PcrDataView view = ml.Data.LoadFromPcr(pcrDirectory, scan: 3, options: options);

        // The epoch and the rows already consumed, as saved before a restart; the start of epoch 0 otherwise.
        PcrCursorPosition position = File.Exists(checkpoint) ? PcrCursorPosition.Parse(File.ReadAllText(checkpoint)) : view.GetPosition(0);
        for (int epoch = position.Epoch; epoch < epochs; epoch++)
        {
            // Each epoch has its own order, the same for any number of workers; every worker yields GetRowCount() rows.
            PcrDataView epochView = epoch == position.Epoch ? view.ResumeFrom(position) : view.ForEpoch(epoch);
            using DataViewRowCursor cursor = epochView.GetRowCursor(epochView.Schema);
            ValueGetter<VBuffer<byte>> image = cursor.GetGetter<VBuffer<byte>>(epochView.Schema["Image"]);
            ValueGetter<uint> label = cursor.GetGetter<uint>(epochView.Schema["Label"]);
            VBuffer<byte> bytes = default;
            uint key = 0;
            while (cursor.MoveNext())
            {
                image(ref bytes);
                label(ref key);
                trainStep(bytes, key);
                // Save the place when the model saves its own checkpoint.
                if (cursor.Position % saveEvery == saveEvery - 1) File.WriteAllText(checkpoint, epochView.GetPosition(cursor).ToString());
            }
            File.WriteAllText(checkpoint, view.ForEpoch(epoch + 1).GetPosition(0).ToString());
        }
    }
}
