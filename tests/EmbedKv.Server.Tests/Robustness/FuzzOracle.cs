using System;
using System.Collections.Generic;
using System.Linq;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>What one lane saw for one case: the connection, the responses read from it, and the store after.</summary>
    internal sealed class LaneOutcome
    {
        public LaneOutcome(Transcript transcript, List<WireResponse> responses, string? parseError, Dictionary<string, byte[]?>? keys, string? keyError, int? countDelta)
        {
            Transcript = transcript;
            Responses = responses;
            ParseError = parseError;
            Keys = keys;
            KeyError = keyError;
            CountDelta = countDelta;
        }

        public Transcript Transcript { get; }

        public List<WireResponse> Responses { get; }

        public string? ParseError { get; }

        /// <summary>Each key of the case afterwards (null: absent), read with GET on a fresh connection.</summary>
        public Dictionary<string, byte[]?>? Keys { get; }

        public string? KeyError { get; }

        /// <summary>How many keys the store gained during the case, where the lane had the server to itself.</summary>
        public int? CountDelta { get; }

        /// <summary>The final answers: 100 Continue is the server's choice (it skips it when the body came with the head), so it is left out.</summary>
        public List<WireResponse> Final => Responses.Where(r => !r.Interim).ToList();
    }

    internal sealed record FuzzFailure(int Seed, string Lane, string Kind, string Detail);

    /// <summary>The verdicts on one case: each lane against the rules, the lanes against each other.</summary>
    internal static class FuzzOracle
    {
        public const string AfterClose = "bytes after Connection: close";

        public static IEnumerable<FuzzFailure> CheckLane(FuzzCase c, string lane, LaneOutcome o, TimeSpan bound)
        {
            FuzzFailure Fail(string kind, string detail) => new FuzzFailure(c.Seed, lane, kind, detail);
            if (o.Transcript.End == WireEnd.StillOpen)
            {
                yield return Fail("connection did not end", "still open " + bound.TotalSeconds + " s after the last byte was sent");
            }

            if (o.ParseError is { } error)
            {
                string kind = error.StartsWith("bytes after a response that said Connection: close", StringComparison.Ordinal) ? AfterClose
                    : error.StartsWith("an undocumented status", StringComparison.Ordinal) ? "undocumented status" : "malformed response stream";
                yield return Fail(kind, error);
            }

            if (o.KeyError is { } keyError)
            {
                yield return Fail("the store could not be read back", keyError);
                yield break;
            }

            if (o.ParseError is not null)
            {
                yield break; // the answers are unknown, so the store cannot be judged by them
            }

            List<WireResponse> final = o.Final;
            int created = final.Count(r => r.Status == 201);
            int noContent = final.Count(r => r.Status == 204);
            string statuses = string.Join(", ", final.Select(r => r.Status));
            Dictionary<string, byte[]?> keys = o.Keys!;
            string[] present = keys.Where(k => k.Value is not null).Select(k => k.Key).ToArray();

            // Whatever the mutations did to the framing, only an answered write may change the store.
            if (created + noContent == 0 && (present.Length > 0 || o.CountDelta is not (null or 0)))
            {
                yield return Fail("the store changed without a 2xx write answer", "answers [" + statuses + "], yet keys present: [" + string.Join(", ", present) + "], key count change " + o.CountDelta);
            }
            else if (o.CountDelta is { } delta && (delta > created || delta < created - noContent))
            {
                yield return Fail("the store changed by other than the answers say", "answers [" + statuses + "], key count change " + delta);
            }

            // Where there is one final answer per generated request, answer i is request i's.
            if (final.Count == c.Requests.Count)
            {
                for (int i = 0; i < final.Count; i++)
                {
                    FuzzRequest request = c.Requests[i];
                    bool otherWrite = c.Requests.Where((r, j) => j != i && r.Key == request.Key && final[j].Status < 300).Any();
                    if (request.Writes && final[i].Status >= 400 && keys[request.Key] is not null && !otherWrite)
                    {
                        yield return Fail("a refused request changed the store", "request " + i + " (" + request.Verb + " " + request.Key + ") was answered " + final[i].StatusLine + ", yet the key is present");
                    }
                }
            }

            if (c.Mutated)
            {
                yield break;
            }

            (List<int> expected, Dictionary<string, byte[]?> store) = c.Expected();
            if (!expected.SequenceEqual(final.Select(r => r.Status)))
            {
                yield return Fail("a valid request got the wrong answer", "expected [" + string.Join(", ", expected) + "], got [" + statuses + "]");
            }

            foreach ((string key, byte[]? value) in store)
            {
                byte[]? actual = keys[key];
                if ((value is null) != (actual is null) || (value is not null && !value.AsSpan().SequenceEqual(actual)))
                {
                    yield return Fail("a valid request left the wrong value", key + ": expected " + Show(value) + ", found " + Show(actual));
                }
            }
        }

        /// <summary>The same bytes, split or sent otherwise, must get the same answers and leave the same store.</summary>
        public static IEnumerable<FuzzFailure> Compare(FuzzCase c, string referenceLane, LaneOutcome reference, string lane, LaneOutcome other)
        {
            if (reference.ParseError is not null || other.ParseError is not null)
            {
                yield break; // already reported, and the answers cannot be lined up
            }

            string[] expected = reference.Final.Select(r => r.Canonical()).ToArray();
            string[] actual = other.Final.Select(r => r.Canonical()).ToArray();
            if (!expected.SequenceEqual(actual))
            {
                yield return new FuzzFailure(c.Seed, lane, "the answers depend on how the bytes were split",
                    referenceLane + ":\n      " + string.Join("\n      ", expected) + "\n    " + lane + ":\n      " + string.Join("\n      ", actual));
            }
            else if (reference.Keys is not null && other.Keys is not null
                && reference.Keys.Any(k => !Same(k.Value, other.Keys.GetValueOrDefault(k.Key))))
            {
                yield return new FuzzFailure(c.Seed, lane, "the store depends on how the bytes were split",
                    string.Join("; ", reference.Keys.Select(k => k.Key + ": " + Show(k.Value) + " vs " + Show(other.Keys.GetValueOrDefault(k.Key)))));
            }
        }

        private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

        private static string Show(byte[]? value) => value is null ? "absent" : value.Length > 64 ? value.Length + " bytes" : WireText.Escape(value);
    }
}
