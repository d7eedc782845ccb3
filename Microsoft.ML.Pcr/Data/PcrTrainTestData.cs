namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// A training and a test view of one PCR dataset over disjoint records, from <see cref="PcrDataView.SplitByRecords(double, int)"/>.
/// Both are <see cref="PcrDataView"/>s, so each can be read at its own scan group.
/// </summary>
/// <param name="TrainSet">The training records.</param>
/// <param name="TestSet">The test records.</param>
public sealed record PcrTrainTestData(PcrDataView TrainSet, PcrDataView TestSet);
