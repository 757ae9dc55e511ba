global using Xunit;

[assembly: AssemblyFixture(typeof(Sandbox.Tests.Support.HostLeftAsFound))]
