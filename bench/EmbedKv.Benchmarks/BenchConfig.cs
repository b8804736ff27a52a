// The configuration every benchmark runs with. It is built from scratch rather than from
// DefaultConfig so that it has exactly one CSV exporter, and that one writes plain nanoseconds
// (units in the header, none in the cells, invariant culture, ';' between fields): bench/run.sh
// reads that file, and must not guess whether a cell says "52.3 ns" or "1.234 us".
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace EmbedKv.Benchmarks
{
    /// <summary>Builds the benchmark configuration: default columns plus Median and ratios, and a nanosecond CSV.</summary>
    public static class BenchConfig
    {
        /// <summary>Summary style of the CSV that bench/run.sh parses: times in ns, units only in the header.</summary>
        public static readonly SummaryStyle CsvStyle = new SummaryStyle(
            CultureInfo.InvariantCulture,
            printUnitsInHeader: true,
            sizeUnit: null,
            timeUnit: TimeUnit.Nanosecond,
            printUnitsInContent: false,
            printZeroValuesInContent: true);

        /// <summary>Creates the configuration.</summary>
        /// <returns>A configuration with console logging, the default columns, Median, the baseline ratio columns, and the Markdown and CSV exporters.</returns>
        public static IConfig Create()
        {
            IConfig defaults = DefaultConfig.Instance;
            return ManualConfig.CreateEmpty()
                .AddLogger(ConsoleLogger.Default)
                .AddColumnProvider(DefaultColumnProviders.Instance)
                .AddColumn(StatisticColumn.Median)
                .AddAnalyser(defaults.GetAnalysers().ToArray())
                .AddValidator(defaults.GetValidators().ToArray())
                .AddExporter(MarkdownExporter.GitHub)
                .AddExporter(new CsvExporter(CsvSeparator.Semicolon, CsvStyle))
                .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Value));
        }
    }
}
