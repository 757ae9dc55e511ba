using Sandbox.Backends.MicroVm.Templates;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.MicroVm;

/// <summary>The template store on a scratch state root: what it publishes it finds, and it keeps only the most recently used.</summary>
public sealed class TemplateStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sandbox-templates-").FullName;

    private static TemplateKey Key(int memory) => new(new string('k', 64), "i.cpio", "d", memory, 1, "tcg", [], [], new string('q', 64));

    private static VmTemplate Publish(TemplateStore store, TemplateKey key, byte[] content)
    {
        string temp = store.NewTempState();
        File.WriteAllBytes(temp, content);
        return store.Publish(key, temp, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), content.Length);
    }

    [Fact]
    public void A_published_template_is_found_and_a_changed_state_is_not()
    {
        var store = new TemplateStore(new StateRoot(_root));
        var published = Publish(store, Key(100), [1, 2, 3]);
        var found = store.Find(Key(100), out string why, out FileStream? state);
        using (state)
        {
            Assert.True(found is not null, why);
            Assert.Equal(published, found);
        }

        File.WriteAllBytes(published.StatePath, [1, 2, 4]); // same size, other content
        Assert.Null(store.Find(Key(100), out why, out _));
        Assert.Contains("SHA-256", why, StringComparison.Ordinal);
        Assert.Null(store.Find(Key(100), out why, out _)); // and it was removed
        Assert.Equal("no template yet", why);
    }

    /// <summary>
    /// Regression: two runs that both booted with no template (one key) both saved one. Interleaved,
    /// one publisher deleted the other's state after the other's manifest named it: the next run found
    /// a template without its state and booted again. Runs looking meanwhile must not remove a good one.
    /// </summary>
    [Fact]
    public void Captures_of_one_key_published_at_once_leave_a_manifest_naming_the_one_state_kept()
    {
        for (int round = 0; round < 20; round++)
        {
            var key = Key(1000 + round);
            Parallel.For(0, 8, i =>
            {
                var store = new TemplateStore(new StateRoot(_root));
                if (i % 2 == 0)
                {
                    Publish(store, key, [(byte)round, (byte)i, 7]);
                }
                else
                {
                    _ = store.Find(key, out _, out FileStream? state); // runs looking for it meanwhile; a bad one they remove
                    state?.Dispose();
                }
            });

            var store = new TemplateStore(new StateRoot(_root));
            var found = store.Find(key, out string why, out FileStream? state);
            using (state)
            {
                Assert.True(found is not null, $"round {round}: {why}");
            }

            Assert.Single(Directory.GetFiles(store.Directory, key.Digest + "-*.state"));
        }
    }

    [Fact]
    public void Publishing_beyond_the_bound_removes_the_least_recently_used()
    {
        var store = new TemplateStore(new StateRoot(_root));
        for (int i = 0; i <= TemplateStore.MaxTemplates; i++)
        {
            Publish(store, Key(100 + i), [(byte)i]);
            File.SetLastWriteTimeUtc(Path.Combine(store.Directory, Key(100 + i).Digest + ".manifest"), DateTime.UtcNow.AddMinutes(i - 100));
        }

        Publish(store, Key(999), [42]);
        Assert.Equal(TemplateStore.MaxTemplates, Directory.GetFiles(store.Directory, "*.manifest").Length);
        Assert.Equal(TemplateStore.MaxTemplates, Directory.GetFiles(store.Directory, "*.state").Length);
        Assert.Null(store.Find(Key(100), out _, out _)); // the two least recently used went
        Assert.Null(store.Find(Key(101), out _, out _));
        var kept = store.Find(Key(999), out _, out FileStream? state);
        state?.Dispose();
        Assert.NotNull(kept);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
