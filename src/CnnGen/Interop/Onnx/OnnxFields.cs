namespace CnnGen.Interop.Onnx;

/// <summary>
/// Field numbers of the ONNX messages, from onnx/onnx.proto in the onnx/onnx repository, in one
/// place for the writer (<see cref="OnnxProto"/>) and the reader (<see cref="OnnxReader"/>). Only
/// the fields either of them uses are listed; the reader skips every other field.
/// </summary>
internal static class OnnxFields
{
    /// <summary>ModelProto.</summary>
    public static class Model
    {
        public const int IrVersion = 1;
        public const int ProducerName = 2;
        public const int ProducerVersion = 3;
        public const int DocString = 6;
        public const int Graph = 7;
        public const int OpsetImport = 8;
    }

    /// <summary>OperatorSetIdProto.</summary>
    public static class OperatorSetId
    {
        public const int Domain = 1;
        public const int Version = 2;
    }

    /// <summary>GraphProto.</summary>
    public static class Graph
    {
        public const int Node = 1;
        public const int Name = 2;
        public const int Initializer = 5;
        public const int Input = 11;
        public const int Output = 12;
    }

    /// <summary>NodeProto.</summary>
    public static class Node
    {
        public const int Input = 1;
        public const int Output = 2;
        public const int Name = 3;
        public const int OpType = 4;
        public const int Attribute = 5;
    }

    /// <summary>AttributeProto.</summary>
    public static class Attribute
    {
        public const int Name = 1;
        public const int F = 2;
        public const int I = 3;
        public const int S = 4;
        public const int Floats = 7;
        public const int Ints = 8;
        public const int Type = 20;
    }

    /// <summary>TensorProto.</summary>
    public static class Tensor
    {
        public const int Dims = 1;
        public const int DataType = 2;
        public const int FloatData = 4;
        public const int Name = 8;
        public const int RawData = 9;
        public const int ExternalData = 13;
        public const int DataLocation = 14;
    }

    /// <summary>ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto and its Dimension.</summary>
    public static class ValueInfo
    {
        public const int Name = 1;
        public const int Type = 2;
        public const int TypeTensor = 1;
        public const int TensorElemType = 1;
        public const int TensorShape = 2;
        public const int ShapeDim = 1;
        public const int DimValue = 1;
        public const int DimParam = 2;
    }
}
