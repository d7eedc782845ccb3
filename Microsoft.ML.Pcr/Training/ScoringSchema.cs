using Microsoft.ML.Data;

namespace Microsoft.ML.Pcr.Training;

/// <summary>The schema checks and output columns of <see cref="PcrImageClassificationTrainer"/> and its transformer.</summary>
internal static class ScoringSchema
{
    private static readonly MLContext Context = new();

    /// <summary>Checks the training schema as ML.NET's image classification trainer does and returns the columns and class names.</summary>
    public static (int Label, int Image, string[] ClassNames) CheckTrainingSchema(DataViewSchema schema, string labelName, string imageName, string parameter)
    {
        DataViewSchema.Column label = schema.GetColumnOrNull(labelName)
            ?? throw new ArgumentOutOfRangeException(parameter, $"Label column '{labelName}' not found");
        if (label.Type is not KeyDataViewType key)
            throw new ArgumentOutOfRangeException(parameter, $"Schema mismatch for label column '{labelName}': expected Key, got {label.Type}" +
                " (map the label to a key with mlContext.Transforms.Conversion.MapValueToKey)");
        if (key.Count < 2)
            throw new ArgumentOutOfRangeException(parameter, $"The label column '{labelName}' has {key.Count} class(es); multiclass classification needs at least 2.");
        if (key.RawType != typeof(uint))
            throw new ArgumentOutOfRangeException(parameter, $"Schema mismatch for label column '{labelName}': expected Key<UInt32>, got {label.Type}");
        CheckImageColumn(schema, imageName, parameter);
        var names = new string[key.Count];
        VBuffer<ReadOnlyMemory<char>> values = default;
        if (label.Annotations.Schema.GetColumnOrNull("KeyValues") is { } kv && kv.Type is VectorDataViewType { ItemType: TextDataViewType } kvType && kvType.Size == names.Length)
        {
            label.Annotations.GetValue("KeyValues", ref values);
            int i = 0;
            foreach (ReadOnlyMemory<char> v in values.DenseValues()) names[i++] = v.ToString();
        }
        else
        {
            for (int i = 0; i < names.Length; i++) names[i] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return (label.Index, schema[imageName].Index, names);
    }

    /// <summary>Checks that <paramref name="imageName"/> is a variable-length vector of Byte and returns its index.</summary>
    public static int CheckImageColumn(DataViewSchema schema, string imageName, string parameter)
    {
        DataViewSchema.Column image = schema.GetColumnOrNull(imageName)
            ?? throw new ArgumentOutOfRangeException(parameter, $"Feature column '{imageName}' not found");
        if (image.Type is not VectorDataViewType { ItemType: var item, IsKnownSize: false } || item != NumberDataViewType.Byte)
            throw new ArgumentOutOfRangeException(parameter, $"Schema mismatch for feature column '{imageName}': expected VarVector<Byte>, got {image.Type}" +
                " (encoded images, as LoadFromPcr or LoadRawImageBytes give)");
        return image.Index;
    }

    /// <summary>The input schema plus Score (vector of Single with the class names as slot names) and PredictedLabel (key with the class names).</summary>
    public static DataViewSchema BuildOutputSchema(DataViewSchema input, string[] classNames, string scoreName, string predictedName)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(scoreName, new VectorDataViewType(NumberDataViewType.Single, classNames.Length), NamesAnnotation("SlotNames", classNames));
        builder.AddColumn(predictedName, new KeyDataViewType(typeof(uint), classNames.Length), NamesAnnotation("KeyValues", classNames));
        return builder.ToSchema();
    }

    private static DataViewSchema.Annotations NamesAnnotation(string kind, string[] classNames)
    {
        var names = classNames.Select(n => n.AsMemory()).ToArray();
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add(kind, new VectorDataViewType(TextDataViewType.Instance, names.Length), (ref VBuffer<ReadOnlyMemory<char>> value) =>
        {
            var editor = VBufferEditor.Create(ref value, names.Length);
            names.CopyTo(editor.Values);
            value = editor.Commit();
        });
        return annotations.ToAnnotations();
    }

    /// <summary>The shape of <paramref name="input"/> plus the two output columns (SchemaShape's constructors are internal: built through a CustomMapping's shape).</summary>
    public static SchemaShape AddShapes(SchemaShape input, string imageName, string scoreName, string predictedName)
    {
        var inputDefinition = SchemaDefinition.Create(typeof(ShapeInput));
        inputDefinition[0].ColumnName = imageName;
        var outputDefinition = SchemaDefinition.Create(typeof(ShapeOutput));
        outputDefinition[0].ColumnName = scoreName;
        outputDefinition[1].ColumnName = predictedName;
        outputDefinition[1].ColumnType = new KeyDataViewType(typeof(uint), 2); // the class count is known once trained
        return Context.Transforms.CustomMapping<ShapeInput, ShapeOutput>(static (_, _) => { }, contractName: null, inputDefinition, outputDefinition)
            .GetOutputSchema(input);
    }

    private sealed class ShapeInput
    {
        [VectorType]
        public byte[] Image = [];
    }

    private sealed class ShapeOutput
    {
        [VectorType]
        public float[] Score = [];

        public uint PredictedLabel = 0;
    }
}
