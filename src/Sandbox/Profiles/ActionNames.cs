namespace Sandbox.Profiles;

/// <summary>The YAML spelling of <see cref="SeccompAction"/> values.</summary>
internal static class ActionNames
{
    private static readonly (string Name, SeccompAction Action)[] All =
    [
        ("allow", SeccompAction.Allow),
        ("errno", SeccompAction.Errno),
        ("kill-process", SeccompAction.KillProcess),
        ("kill-thread", SeccompAction.KillThread),
        ("trap", SeccompAction.Trap),
        ("log", SeccompAction.Log),
    ];

    public static bool TryParse(string name, out SeccompAction action)
    {
        foreach ((string n, SeccompAction a) in All)
        {
            if (n == name)
            {
                action = a;
                return true;
            }
        }

        action = default;
        return false;
    }

    public static string Name(SeccompAction action) => Array.Find(All, e => e.Action == action).Name;
}
