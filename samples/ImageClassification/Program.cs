using PcrImageClassification;
var (train, test) = DefaultDataset.EnsureCreated(args.Length > 0 ? args[0] : "data/default", 10);
Console.WriteLine(train);
