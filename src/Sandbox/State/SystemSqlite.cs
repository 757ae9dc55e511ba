using System.Reflection;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace Sandbox.State;

/// <summary>
/// SQLite is Debian's libsqlite3.so.0 (package libsqlite3-0), so bin/sandbox stays one file. NativeAOT
/// links it directly (DirectPInvoke in the CLI project); under the JIT the provider's "sqlite3" is
/// resolved to the versioned soname, since only the -dev package has the unversioned link.
/// </summary>
internal static class SystemSqlite
{
    private const string SoName = "libsqlite3.so.0";
    private static readonly Lock Gate = new();
    private static bool _ready;

    public static void Init()
    {
        lock (Gate)
        {
            if (_ready)
            {
                return;
            }

            NativeLibrary.SetDllImportResolver(typeof(SQLite3Provider_sqlite3).Assembly, Resolve); // unused where NativeAOT linked it

            raw.SetProvider(new SQLite3Provider_sqlite3());
            _ready = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == "sqlite3" && NativeLibrary.TryLoad(SoName, out var handle) ? handle : IntPtr.Zero;
}
