using System.Text;

namespace Ftpm.Generators;

/// <summary>Writes indented C# line by line (System.Text.Json's SourceWriter, cut down).</summary>
internal sealed class SourceWriter
{
    readonly StringBuilder _text = new();
    int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any) and an opening brace, and indents.</summary>
    public void Open(string? header = null)
    {
        if (header is not null) Line(header);
        Line("{");
        _indent++;
    }

    /// <summary>Unindents and writes a closing brace (with <paramref name="suffix"/>, e.g. ";").</summary>
    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    public void Indent() => _indent++;
    public void Unindent() => _indent--;

    public override string ToString() => _text.ToString();
}
