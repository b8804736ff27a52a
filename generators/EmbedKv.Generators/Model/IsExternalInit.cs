// netstandard2.0 lacks this marker type, which C# needs for records and init accessors.
#pragma warning disable IDE0130 // the compiler looks for the marker in this namespace, not in the folder's
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
