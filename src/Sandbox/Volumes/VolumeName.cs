using Sandbox.Runtime;

namespace Sandbox.Volumes;

/// <summary>Volume names are path components under the state root: a strict alphabet keeps them so.</summary>
public static class VolumeName
{
    public static void Validate(string name)
    {
        bool ok = name.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(name[0])
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
        if (!ok)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"'{name}' is not a valid volume name",
                "use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
    }
}
