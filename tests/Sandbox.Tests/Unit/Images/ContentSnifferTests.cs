using System.Text;
using Sandbox.Images.Formats;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Images;

/// <summary>What an import source's first bytes say it is: only a tar (plain, gzip, zstd) can be an image.</summary>
public sealed class ContentSnifferTests
{
    [Fact]
    public void A_tar_header_is_recognised_by_its_checksum()
    {
        byte[] tar = new TarBuilder().File("a", "x").Build();
        Assert.Equal(Packing.Tar, ContentSniffer.Classify(tar));
        tar[0] ^= 1; // any changed byte breaks the checksum
        Assert.Equal(Packing.Other, ContentSniffer.Classify(tar));
    }

    [Fact]
    public void Compression_is_told_by_its_magic()
    {
        Assert.Equal(Packing.Gzip, ContentSniffer.Classify(new TarBuilder().File("a", "x").BuildGzip()));
        Assert.Equal(Packing.Zstd, ContentSniffer.Classify([0x28, 0xb5, 0x2f, 0xfd, 0, 0]));
    }

    [Theory]
    [InlineData("\u007fELF\u0002\u0001\u0001\0\0\0\0\0\0\0\0\0\u0003\0", "an ELF executable or shared library")]
    [InlineData("\u007fELF\u0002\u0001\u0001\0\0\0\0\0\0\0\0\0\u0002\0", "an ELF executable")]
    [InlineData("#!/bin/sh\necho hi\n", "a script")]
    [InlineData("int main(void) { return 0; }\n", "a text file")]
    [InlineData("grüße\n", "a text file")]
    [InlineData("PK\u0003\u0004rest", "a zip archive")]
    [InlineData("BZh91AY", "bzip2-compressed data (only gzip and zstd are read)")]
    public void Anything_else_is_described(string head, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(head);
        Assert.Equal(Packing.Other, ContentSniffer.Classify(bytes));
        Assert.Equal(expected, ContentSniffer.Describe(bytes, bytes.Length));
    }

    [Fact]
    public void Binary_that_is_not_utf8_text_is_of_an_unknown_format() =>
        Assert.Equal("data of an unknown format", ContentSniffer.Describe([0x01, 0x02, 0x03, 0xff, 0xfe], 5));

    [Fact]
    public void Empty_and_zero_filled_files_are_named_as_such()
    {
        Assert.Equal("an empty file (0 bytes)", ContentSniffer.Describe([], 0));
        Assert.Equal("an empty tar archive (only end-of-archive blocks, no entries)", ContentSniffer.Describe(new byte[4096], 10240));
        Assert.Equal("all zero bytes", ContentSniffer.Describe(new byte[100], 100));
    }
}
