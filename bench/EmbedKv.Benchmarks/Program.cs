// Entry point of the benchmarks: BenchmarkSwitcher picks the benchmarks from the command line, e.g.
//   dotnet run -c Release --project bench/EmbedKv.Benchmarks -- --filter '*Getpid*'
//   dotnet run -c Release --project bench/EmbedKv.Benchmarks -- storage     (the storage harness)
//   dotnet run -c Release --project bench/EmbedKv.Benchmarks -- serve ...   (a server for the HTTP suite)
// bench/run.sh runs them pinned to one core and turns the results into bench/results/*.md.
using BenchmarkDotNet.Running;

namespace EmbedKv.Benchmarks
{
    /// <summary>Runs the benchmarks the command line selects.</summary>
    public static class Program
    {
        /// <summary>Runs the selected benchmarks with <see cref="BenchConfig"/>.</summary>
        /// <param name="args">BenchmarkDotNet's command-line arguments (--filter, --artifacts, ...).</param>
        public static void Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "storage")
            {
                Storage.StorageBench.Run(args[1..]);
                return;
            }

            if (args.Length > 0 && args[0] == "serve")
            {
                System.Environment.ExitCode = Http.ServeCommand.Run(args[1..]);
                return;
            }

            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
        }
    }
}
