using Sandbox.Profiles;
using Sandbox.Runtime;
using static Sandbox.Tests.Unit.Profiles.ProfileYaml;

namespace Sandbox.Tests.Unit.Profiles;

/// <summary>Every malformed profile is refused with source:line:column, the offending thing, and a hint.</summary>
public class LoaderErrorCorpusTests
{
    public static TheoryData<string, string, string, string> Cases => new()
    {
        // case, yaml, expected "source:line:column", expected fragment
        { "unknown top-level key", Valid.Replace("name: test", "nmae: test", StringComparison.Ordinal), "t.yaml:1:1", "unknown key 'nmae' in the profile (did you mean 'name'?)" },
        { "unknown group key", Head + Group(extra: "reason: x"), "t.yaml:11:5", "unknown key 'reason' in a group" },
        { "missing required key", Valid.Replace("architectures: [x86_64]\n", "", StringComparison.Ordinal), "t.yaml:1:1", "missing the required key 'architectures'" },
        { "duplicate key", Head + Group(extra: "why: again"), "t.yaml:11:5", "duplicate key 'why' (first at line 8, column 5)" },
        { "tab", Head + Group(why: "\tw"), "t.yaml:8:10", "tab character" },
        { "string where a list is expected", Head + Group(syscalls: "read"), "t.yaml:10:15", "syscalls of group 'g' must be a list, found 'read'" },
        { "list where text is expected", Head + Group(why: "[a, b]"), "t.yaml:8:10", "why of group 'g' must be a single value, found a list" },
        { "empty why", Head + Group(why: "\"  \""), "t.yaml:8:10", "why of group 'g' must not be empty" },
        { "null why", Head + Group(why: "~"), "t.yaml:8:10", "why of group 'g' must not be empty" },
        { "unknown syscall", Head + Group(syscalls: "[read, reed]"), "t.yaml:10:22", "unknown syscall 'reed' (did you mean 'read'?)" },
        { "32-bit syscall", Head + Group(syscalls: "[fstat64]"), "t.yaml:10:16", "unknown syscall 'fstat64'" },
        { "syscall in two allow groups", Head + Group() + Group("h", syscalls: "[write, read]"), "t.yaml:14:23", "syscall 'read' is already listed in group 'g' (line 10, column 16)" },
        { "syscall twice in one group", Head + Group(syscalls: "[read, read]"), "t.yaml:10:22", "syscall 'read' is already listed in group 'g'" },
        { "duplicate group name", Head + Group() + Group(syscalls: "[write]"), "t.yaml:11:11", "group name 'g' is used twice" },
        { "bad group name", Head + Group("Bad Name"), "t.yaml:7:11", "group name 'Bad Name' is not a valid identifier" },
        { "unknown action", Head + Group(action: "alow"), "t.yaml:9:13", "unknown action 'alow' in group 'g'" },
        { "kill-thread in a group", Head + Group(action: "kill-thread"), "t.yaml:9:13", "action kill-thread is not allowed in group 'g'" },
        { "errno action without errno", Head + Group(action: "errno"), "t.yaml:9:13", "group 'g' has action errno but no 'errno' key" },
        { "errno with allow", Head + Group(extra: "errno: EPERM"), "t.yaml:11:12", "errno is only meaningful with action errno" },
        { "unknown errno", Head + Group(action: "errno", extra: "errno: EPREM"), "t.yaml:11:12", "unknown errno 'EPREM' (did you mean 'EPERM'?)" },
        { "group repeats the default", Head + Group(action: "errno", extra: "errno: EPERM"), "t.yaml:9:13", "group 'g' repeats the default action" },
        { "default allow", Valid.Replace("defaultAction: errno", "defaultAction: allow", StringComparison.Ordinal), "t.yaml:3:16", "defaultAction allow is not accepted" },
        { "default errno missing", Valid.Replace("defaultErrno: EPERM\n", "", StringComparison.Ordinal), "t.yaml:3:16", "defaultAction errno needs a defaultErrno" },
        { "other architecture", Valid.Replace("[x86_64]", "[x86_64, i386]", StringComparison.Ordinal), "t.yaml:5:25", "architecture 'i386' is not supported" },
        { "architectures as text", Valid.Replace("[x86_64]", "x86_64", StringComparison.Ordinal), "t.yaml:5:16", "architectures must be a list, found 'x86_64'" },
        { "empty groups", Head.Replace("groups:\n", "groups: []\n", StringComparison.Ordinal), "t.yaml:6:9", "groups is empty" },
        { "notIn", Head + Group(syscalls: "[socket]", extra: "when: {arg: 0, notIn: [AF_VSOCK]}"), "t.yaml:11:20", "'notIn' is not supported" },
        { "arg out of range", Head + Group(syscalls: "[socket]", extra: "when: {arg: 6, in: [1]}"), "t.yaml:11:17", "arg '6' is not an argument index" },
        { "unknown constant", Head + Group(syscalls: "[socket]", extra: "when: {arg: 0, in: [AF_UNIK]}"), "t.yaml:11:25", "value 'AF_UNIK' is not a number or a known constant (did you mean 'AF_UNIX'?)" },
        { "negative value", Head + Group(syscalls: "[socket]", extra: "when: {arg: 0, in: [-1]}"), "t.yaml:11:25", "value '-1' is not a number or a known constant" },
        { "hex overflow", Head + Group(syscalls: "[socket]", extra: "when: {arg: 0, in: [0x1ffffffffffffffff]}"), "t.yaml:11:25", "value '0x1ffffffffffffffff' is not a valid unsigned 64-bit number" },
        { "duplicate value", Head + Group(syscalls: "[socket]", extra: "when: {arg: 0, in: [AF_INET, 2]}"), "t.yaml:11:34", "value '2' (= 2) is listed twice" },
        { "in and maskedEq", Head + Group(syscalls: "[clone]", extra: "when: {arg: 0, in: [1], maskedEq: {mask: 1, value: 0}}"), "t.yaml:11:11", "when needs exactly one of 'in', 'maskedEq' or 'notEq'" },
        { "in is not a list", Head + Group(syscalls: "[socket]", extra: "when: {arg: 0, in: AF_UNIX}"), "t.yaml:11:24", "in must be a list, found 'AF_UNIX'" },
        { "zero mask", Head + Group(syscalls: "[clone]", extra: "when: {arg: 0, maskedEq: {mask: 0, value: 0}}"), "t.yaml:11:37", "mask is 0" },
        { "value outside mask", Head + Group(syscalls: "[clone]", extra: "when: {arg: 0, maskedEq: {mask: [CLONE_NEWUSER], value: 1}}"), "t.yaml:11:61", "value 0x1 has bits outside mask 0x10000000" },
        { "anchor", Head + Group(syscalls: "&s [read]"), "t.yaml:10:15", "anchor '&s' is not supported" },
        { "deep nesting", Head + Group(why: new string('[', 20) + new string(']', 20)), "t.yaml:8:", "nesting deeper than 16 levels" },
        { "syntax error", Head + Group(syscalls: "[read"), "t.yaml:11:1", "invalid YAML" },
        { "empty file", "", "t.yaml:1:1", "the profile is empty" },
        { "comments only", "# nothing\n", "t.yaml:1:1", "the profile is empty" },
        { "two documents", Valid + "---\nname: other\n", "t.yaml:12:1", "more than one YAML document" },
        { "list as a key", Valid.Replace("name: test", "? [name]\n: test", StringComparison.Ordinal), "t.yaml:1:3", "a key must be plain text" },
        { "root is a list", "- name: test\n", "t.yaml:1:1", "the profile must be a mapping, found a list" },
        { "bad profile name", Valid.Replace("name: test", "name: Test Profile", StringComparison.Ordinal), "t.yaml:1:7", "profile name 'Test Profile' is not a valid identifier" },
    };

    [Fact]
    public void A_file_that_is_not_yaml_at_all_is_quoted_only_as_far_as_it_helps()
    {
        // --seccomp-profile /etc/passwd: one long scalar, which the error must not print whole.
        string passwd = string.Concat(Enumerable.Range(0, 40).Select(i => $"user{i}:x:{i}:{i}:User {i}:/home/user{i}:/bin/sh\n"));
        var e = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Parse(passwd, "t.yaml"));
        Assert.Contains("the profile must be a mapping, found 'user0:x:0:0:User 0:/home/user0:/bin/sh user1:x:1:1:User 1:/h…", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("user39", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length < 250, e.Message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_profiles_are_refused_with_position_and_hint(string name, string yaml, string at, string fragment)
    {
        var e = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Parse(yaml, "t.yaml"));

        Assert.True(e.Message.StartsWith(at, StringComparison.Ordinal), $"{name}: expected the error at {at}, got: {e.Message}");
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.InvalidProfile, e.Kind);
        Assert.False(string.IsNullOrWhiteSpace(e.Hint), $"{name}: no hint");
    }
}
