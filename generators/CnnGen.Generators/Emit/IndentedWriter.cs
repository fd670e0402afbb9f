using System.Text;

namespace CnnGen.Generators.Emit;

/// <summary>Writes indented C# with LF line ends; <see cref="Block"/> opens a brace block that closes when disposed.</summary>
internal sealed class IndentedWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _depth;

    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            for (int i = 0; i < _depth; i++)
            {
                _text.Append(IndentUnit);
            }

            _text.Append(line);
        }

        _text.Append('\n');
        return this;
    }

    public IDisposable Block(string header, string close = "}")
    {
        Line(header);
        Line("{");
        _depth++;
        return new Closer(this, close);
    }

    public override string ToString() => _text.ToString();

    private sealed class Closer(IndentedWriter writer, string close) : IDisposable
    {
        public void Dispose()
        {
            writer._depth--;
            writer.Line(close);
        }
    }
}
