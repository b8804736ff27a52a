using System;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Diagnostics
{
    /// <summary>Every diagnostic the generator reports on syscalls.json (see docs/syscalls.md).</summary>
    internal static class Descriptors
    {
        private const string Category = "EmbedKv.Syscalls";

        public static readonly DiagnosticDescriptor MalformedJson = Error(
            "EKV001", "Malformed syscalls.json", "syscalls.json is not valid JSON: {0}");

        public static readonly DiagnosticDescriptor MissingField = Error(
            "EKV002", "Missing field", "{0} is missing the required field '{1}'");

        public static readonly DiagnosticDescriptor UnknownType = Error(
            "EKV003", "Unknown type", "Unknown type '{0}' for {1}; expected {2}");

        public static readonly DiagnosticDescriptor TooManyArguments = Error(
            "EKV004", "Too many arguments", "Syscall '{0}' has {1} arguments; an x86_64 syscall takes at most six");

        public static readonly DiagnosticDescriptor DuplicateName = Error(
            "EKV005", "Duplicate name", "Duplicate {0} '{1}'");

        public static readonly DiagnosticDescriptor DuplicateNumber = Error(
            "EKV006", "Duplicate syscall number", "Syscall '{0}' has number {1}, already used by '{2}'");

        public static readonly DiagnosticDescriptor NumberOutOfRange = Error(
            "EKV007", "Number out of range", "{0}");

        public static readonly DiagnosticDescriptor UnknownConstantGroup = Error(
            "EKV008", "Unknown constant group", "Argument '{0}' of '{1}' refers to unknown constant group '{2}'");

        public static readonly DiagnosticDescriptor InvalidValue = Error(
            "EKV009", "Invalid value", "{0}");

        public static readonly DiagnosticDescriptor PageOverflow = Error(
            "EKV010", "Too many syscalls for one stub page", "{0} syscalls need {1} bytes of stubs, more than one {2}-byte page");

        public static readonly DiagnosticDescriptor InvalidStubReturn = Error(
            "EKV011", "Invalid stub return", "'stubReturn' must be \"ret\" or \"jump\", not {0}");

        public static readonly DiagnosticDescriptor UnknownArchitecture = Error(
            "EKV012", "Unknown architecture", "{0}");

        public static readonly DiagnosticDescriptor MissingArchitecture = Error(
            "EKV013", "No entry for an architecture", "{0}");

        private static readonly DiagnosticDescriptor[] All =
        {
            MalformedJson, MissingField, UnknownType, TooManyArguments, DuplicateName,
            DuplicateNumber, NumberOutOfRange, UnknownConstantGroup, InvalidValue, PageOverflow,
            InvalidStubReturn, UnknownArchitecture, MissingArchitecture,
        };

        public static DiagnosticDescriptor ById(string id)
        {
            foreach (DiagnosticDescriptor descriptor in All)
            {
                if (descriptor.Id == id)
                {
                    return descriptor;
                }
            }

            throw new ArgumentException("No diagnostic " + id, nameof(id));
        }

        private static DiagnosticDescriptor Error(string id, string title, string message)
            => new DiagnosticDescriptor(
                id,
                title,
                message,
                Category,
                DiagnosticSeverity.Error,
                isEnabledByDefault: true,
                description: "See docs/syscalls.md for the table's schema.");
    }
}
