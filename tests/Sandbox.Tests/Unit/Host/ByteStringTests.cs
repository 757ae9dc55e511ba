using System.Text;
using Sandbox.Host;

namespace Sandbox.Tests.Unit.Host;

public sealed class ByteStringTests
{
    [Fact]
    public void Bytes_that_are_not_utf8_survive_the_round_trip()
    {
        byte[] argument = [0xff, 0xfe, (byte)' ', (byte)'c', (byte)'a', (byte)'f', 0xe9];
        string carried = ByteString.Decode(argument);
        Assert.Equal(argument, ByteString.Encode(carried));
        Assert.False(ByteString.IsText(carried));
        Assert.Equal("\uFFFD\uFFFD caf\uFFFD", ByteString.Display(carried));
        Assert.Equal("fffe20636166e9", ByteString.Hex(carried));
    }

    [Fact]
    public void Every_byte_sequence_round_trips()
    {
        var random = new Random(12);
        for (int i = 0; i < 2000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 12)];
            random.NextBytes(bytes);
            Assert.Equal(bytes, ByteString.Encode(ByteString.Decode(bytes)));
        }

        byte[] all = [.. Enumerable.Range(1, 255).Select(b => (byte)b)];
        Assert.Equal(all, ByteString.Encode(ByteString.Decode(all)));
    }

    [Theory]
    [InlineData("grüß dich")]
    [InlineData("\U00010080")] // its low surrogate (DC80) is in the escape range, yet it is one valid character
    [InlineData("\U0001F600 \uFFFD")]
    public void Utf8_is_text_and_unchanged(string text)
    {
        string carried = ByteString.Decode(Encoding.UTF8.GetBytes(text));
        Assert.Equal(text, carried);
        Assert.True(ByteString.IsText(carried));
        Assert.Equal(Encoding.UTF8.GetBytes(text), ByteString.Encode(carried));
    }

    [Fact]
    public void Encoded_surrogates_are_bytes_not_text()
    {
        byte[] surrogate = [0xed, 0xb3, 0xbf]; // UTF-8's form of U+DCFF, which UTF-8 forbids
        string carried = ByteString.Decode(surrogate);
        Assert.False(ByteString.IsText(carried));
        Assert.Equal(surrogate, ByteString.Encode(carried));
    }
}
