using System.Text;

namespace EmbedKv.Generators.Emit
{
    /// <summary>
    /// A tiny indenting text builder. Generated code is text with "\n" line ends whatever the host,
    /// so snapshots and deterministic builds compare equal on every machine.
    /// </summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _indent;

        public SourceWriter Line(string line = "")
        {
            if (line.Length > 0)
            {
                _text.Append(' ', _indent * 4);
            }

            _text.Append(line).Append('\n');
            return this;
        }

        public SourceWriter Open(string line)
        {
            if (line.Length > 0)
            {
                Line(line);
            }

            Line("{");
            _indent++;
            return this;
        }

        public SourceWriter Close(string suffix = "")
        {
            _indent--;
            return Line("}" + suffix);
        }

        public override string ToString() => _text.ToString();
    }
}
