using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Sandbox.Profiles;

/// <summary>
/// Wraps YamlDotNet's event parser and refuses, at the offending position, what the profile format
/// does not allow: nesting deeper than <see cref="MaxDepth"/> (YamlStream builds the tree recursively,
/// so deep nesting would overflow the stack and kill the process), anchors and aliases (they let a
/// small file expand into a huge one and make a profile harder to review), non-scalar keys, and
/// duplicate keys (reported with the first occurrence, which YamlDotNet's own error does not do).
/// </summary>
internal sealed class GuardedParser(IParser inner, string source, string noun = "profile") : IParser
{
    public const int MaxDepth = 16;

    private readonly Stack<Frame> frames = new();

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        switch (inner.Current)
        {
            case AnchorAlias alias:
                throw ProfileError.At(source, alias.Start, $"alias '*{alias.Value}' is not supported", $"write the value out in full; anchors and aliases are not allowed in a {noun}");
            case NodeEvent node when !node.Anchor.IsEmpty:
                throw ProfileError.At(source, node.Start, $"anchor '&{node.Anchor}' is not supported", $"write the value out in full; anchors and aliases are not allowed in a {noun}");
            case DocumentStart:
                frames.Clear();
                break;
            case Scalar scalar:
                OnNode(scalar);
                break;
            case MappingStart or SequenceStart:
                OnNode((NodeEvent)inner.Current);
                frames.Push(new Frame(inner.Current is MappingStart));
                if (frames.Count > MaxDepth)
                {
                    throw ProfileError.At(source, inner.Current.Start, $"nesting deeper than {MaxDepth} levels", $"a {noun} is shallow: flatten the structure");
                }

                break;
            case MappingEnd or SequenceEnd:
                frames.Pop();
                break;
        }

        return true;
    }

    private void OnNode(NodeEvent node)
    {
        if (frames.Count == 0 || !frames.Peek().IsMapping)
        {
            return;
        }

        Frame frame = frames.Peek();
        bool isKey = frame.ExpectKey;
        frame.ExpectKey = !isKey;
        if (!isKey)
        {
            return;
        }

        if (node is not Scalar key)
        {
            throw ProfileError.At(source, node.Start, "a key must be plain text, not a list or mapping", "write keys as 'name: value'");
        }

        if (!frame.Keys.TryAdd(key.Value, key.Start))
        {
            Mark first = frame.Keys[key.Value];
            throw ProfileError.At(source, key.Start, $"duplicate key '{key.Value}' (first at line {first.Line}, column {first.Column})", "each key may appear once per mapping; merge or remove one of them");
        }
    }

    private sealed class Frame(bool isMapping)
    {
        public bool IsMapping { get; } = isMapping;

        /// <summary>Mapping children alternate key, value; true when the next one is a key.</summary>
        public bool ExpectKey { get; set; } = true;

        public Dictionary<string, Mark> Keys { get; } = new(StringComparer.Ordinal);
    }
}
