using System.Security.Cryptography;
using System.Text;
using Sandbox.Digests;

namespace Sandbox.Tests.Unit.Digests;

public sealed class SmallSha256Tests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Known_answers_from_fips_180_examples(string message, string expected) =>
        Assert.Equal(expected, Convert.ToHexStringLower(SmallSha256.HashData(Encoding.ASCII.GetBytes(message))));

    [Fact]
    public void Agrees_with_the_platform_hash_at_every_length_around_the_block_and_padding_edges()
    {
        var random = new Random(20261207);
        for (int length = 0; length <= 300; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(SHA256.HashData(data), SmallSha256.HashData(data));
        }

        byte[] large = new byte[1_000_003];
        random.NextBytes(large);
        Assert.Equal(SHA256.HashData(large), SmallSha256.HashData(large));
    }

    [Fact]
    public void Hmac_agrees_with_the_platform_for_short_block_sized_and_long_keys()
    {
        var random = new Random(7);
        foreach (int keyLength in new[] { 0, 1, 32, 63, 64, 65, 200 })
        {
            foreach (int dataLength in new[] { 0, 1, 55, 56, 64, 119, 1000 })
            {
                byte[] key = new byte[keyLength], data = new byte[dataLength];
                random.NextBytes(key);
                random.NextBytes(data);
                Assert.Equal(HMACSHA256.HashData(key, data), SmallSha256.HmacData(key, data));
            }
        }
    }

    [Fact]
    public void Hmac_known_answer_from_rfc_4231_case_2() =>
        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            Convert.ToHexStringLower(SmallSha256.HmacData("Jefe"u8, "what do ya want for nothing?"u8)));
}
