using System.Reflection;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// Builds the <see cref="SchemaShape"/> an estimator promises from the <see cref="DataViewSchema"/> it will
/// produce. ML.NET 5 keeps both <c>SchemaShape.Create</c> and the <c>SchemaShape.Column</c> constructor
/// internal, so third-party estimators reach <c>Create</c> by reflection; a clear error says so if a future
/// ML.NET removes it.
/// </summary>
internal static class SchemaShapes
{
    private static readonly Func<DataViewSchema, SchemaShape>? Create =
        typeof(SchemaShape).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static, [typeof(DataViewSchema)])
            ?.CreateDelegate<Func<DataViewSchema, SchemaShape>>();

    public static SchemaShape FromSchema(DataViewSchema schema) =>
        Create is { } create
            ? create(schema)
            : throw new NotSupportedException("This version of ML.NET has no SchemaShape.Create(DataViewSchema); Pcr.MLNet cannot describe its output schema as a SchemaShape.");
}
