using System.IO.Enumeration;

namespace Sandbox.Host.Files;

/// <summary>One entry of a walked tree: a symlink is listed as itself (IsLink) and never entered.</summary>
public readonly record struct TreeEntry(string Path, bool IsDirectory, bool IsLink);

/// <summary>
/// Every entry below a directory, never following a symlink. .NET's recursive enumeration descends
/// into a symlink to a directory, which in an image or package tree may point anywhere on the host
/// (Debian's /var/run is a link to /run): a walk that follows it reads, hashes or chmods host files.
/// </summary>
public static class TreeWalk
{
    public static IEnumerable<TreeEntry> Below(string root) =>
        new FileSystemEnumerable<TreeEntry>(root,
            (ref FileSystemEntry e) => new TreeEntry(e.ToFullPath(), e.IsDirectory && !IsLink(ref e), IsLink(ref e)),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldRecursePredicate = (ref FileSystemEntry e) => !IsLink(ref e),
        };

    private static bool IsLink(ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) != 0;
}
