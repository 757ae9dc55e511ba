namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// Turns the catalog's module list into a load order: every module after its dependencies,
/// built-in ones (listed in modules.builtin) skipped. Pure over the two lookups it is given, so
/// ordering is unit-tested without a kernel package.
/// </summary>
public static class ModuleResolver
{
    /// <param name="wanted">Module names from the catalog, in the order the catalog gives.</param>
    /// <param name="isBuiltin">True when the kernel has the module built in.</param>
    /// <param name="dependsOf">The module's direct dependencies; throws when the module does not exist.</param>
    public static IReadOnlyList<string> LoadOrder(
        IEnumerable<string> wanted, Func<string, bool> isBuiltin, Func<string, IReadOnlyList<string>> dependsOf)
    {
        var order = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        foreach (string module in wanted)
        {
            Visit(Normalize(module));
        }

        return order;

        void Visit(string module)
        {
            if (done.Contains(module) || isBuiltin(module))
            {
                return;
            }

            if (!visiting.Add(module))
            {
                throw new InvalidDataException($"module dependency cycle through '{module}'");
            }

            foreach (string dep in dependsOf(module))
            {
                Visit(Normalize(dep));
            }

            visiting.Remove(module);
            done.Add(module);
            order.Add(module);
        }
    }

    /// <summary>The kernel treats '-' and '_' in module names alike; file names use either.</summary>
    public static string Normalize(string name) => name.Replace('-', '_');
}
