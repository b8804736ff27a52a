using System;
using System.IO;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace EmbedKv.Generators.Tests.Infrastructure
{
    /// <summary>
    /// A table compiled with the real generator beside a driver class, loaded into this process, so a
    /// test can make real syscalls through the stubs the generator wrote.
    /// </summary>
    internal static class GeneratedAssembly
    {
        /// <summary>
        /// Generates <paramref name="table"/>, compiles it with <paramref name="driver"/> and loads the result into
        /// a load context of its own named <paramref name="context"/> (every such assembly is named Consumer).
        /// EmbedKv.Runtime, which the generated code calls to map its page, resolves to the copy this test already loaded.
        /// </summary>
        public static Assembly Load(string table, string driver, string context)
        {
            GeneratorDriver generator = GeneratorHarness.CreateDriver(table)
                .RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(driver), out Compilation output, out _);
            Assert.Empty(generator.GetRunResult().Diagnostics);

            using var image = new MemoryStream();
            EmitResult emitted = output.Emit(image);
            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
            image.Position = 0;
            return new AssemblyLoadContext(context).LoadFromStream(image);
        }

        /// <summary>The address of the stub page the generated class <paramref name="calls"/> mapped; fails if it fell back to libc.</summary>
        public static nint StubPage(Assembly assembly, string calls)
        {
            Type type = assembly.GetType(calls, throwOnError: true)!;
            FieldInfo pageField = type.GetField("s_page", BindingFlags.NonPublic | BindingFlags.Static)!;
            var page = (nint)pageField.GetValue(null)!;
            Assert.True(page != 0, "the stub page was not mapped (" + EmbedKv.Runtime.Interop.StubPage.FallbackReason + ")");
            return page;
        }

        /// <summary>Calls a static method of a driver class, rethrowing what it throws as itself.</summary>
        public static object Invoke(Type driver, string method, params object[] arguments)
        {
            try
            {
                return driver.GetMethod(method)!.Invoke(null, arguments)!;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }
    }
}
