using System.Text.Json.Serialization;

namespace Sandbox.Images.Formats;

/// <summary>Source-generated (NativeAOT-safe) JSON for the image formats.</summary>
[JsonSourceGenerationOptions(AllowTrailingCommas = true, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(OciIndex))]
[JsonSerializable(typeof(OciManifest))]
[JsonSerializable(typeof(ImageConfigFile))]
[JsonSerializable(typeof(List<DockerArchiveEntry>))]
internal sealed partial class FormatJsonContext : JsonSerializerContext;
