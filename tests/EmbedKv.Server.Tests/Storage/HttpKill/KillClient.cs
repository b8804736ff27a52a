using System;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Text;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Storage.HttpKill
{
    /// <summary>
    /// One client of the HTTP kill test, on a thread of its own with blocking sockets, until the server is
    /// killed under it. It writes, deletes and reads the few hot keys every client shares, so requests on
    /// one key overlap (a small PUT, an upload and a DELETE of the same key in flight together); now and
    /// then it sends a whole upload and, before its answer, a DELETE of the same key on a second connection
    /// (issue 10's defect 2), then reads the key back. It also writes cold keys once each, which merges must
    /// carry along untouched.
    /// </summary>
    internal sealed class KillClient
    {
        public const int HotKeys = 8;

        /// <summary>Bodies above this size take the server's streamed-upload path (BlockLayout.BodySize).</summary>
        public const int InlineBodyLimit = 16 * 1024;

        private readonly int _port;
        private readonly int _client;
        private readonly KillRound _round;
        private readonly Random _random;
        private long _written;

        public KillClient(int port, int client, KillRound round, int seed)
        {
            _port = port;
            _client = client;
            _round = round;
            _random = new Random(seed);
        }

        public static string HotKey(int n) => "hot/" + n.ToString(CultureInfo.InvariantCulture);

        /// <summary>Sends requests until the kill (bounded: a run that is never killed ends on its own).</summary>
        public void Run()
        {
            RawConnection? main = null;
            RawConnection? side = null;
            try
            {
                main = new RawConnection(_port, 30_000);
                for (int n = 0; n < 100_000 && !_round.Killing; n++)
                {
                    string key = HotKey(_random.Next(HotKeys));
                    int pick = _random.Next(100);
                    if (pick < 28)
                    {
                        Write(main, key, SmallLength(), chunked: _random.Next(8) == 0);
                    }
                    else if (pick < 36)
                    {
                        Write(main, key, _random.Next(InlineBodyLimit + 1, 64 * 1024), chunked: _random.Next(2) == 0);
                    }
                    else if (pick < 46)
                    {
                        Write(main, key, LargeLength(), chunked: _random.Next(2) == 0);
                    }
                    else if (pick < 64)
                    {
                        Delete(main, key);
                    }
                    else if (pick < 88)
                    {
                        Read(main, key);
                    }
                    else if (pick < 96)
                    {
                        side ??= new RawConnection(_port, 30_000);
                        UploadRacingDelete(main, side, key);
                    }
                    else
                    {
                        Write(main, "cold/" + NextId().ToString(CultureInfo.InvariantCulture), _random.Next(2) == 0 ? SmallLength() : _random.Next(InlineBodyLimit + 1, 48 * 1024), chunked: false);
                    }
                }
            }
            catch (Exception e) when (_round.Killing && e is IOException or SocketException or ObjectDisposedException)
            {
                // the kill: whatever was in flight has an unknown outcome
            }
            catch (Exception e)
            {
                _round.Fail("client " + _client + " before the kill: " + e);
            }
            finally
            {
                main?.Dispose();
                side?.Dispose();
            }
        }

        private long NextId()
        {
            // Unique in the whole test and readable in a failure: round, client, then a count.
            _written++;
            return (_round.Number * 1_000_000L) + (_client * 100_000L) + _written;
        }

        private int SmallLength() => _random.Next(4) == 0 ? _random.Next(4096, InlineBodyLimit + 1) : _random.Next(64, 4096);

        /// <summary>64 KiB to 2 MiB, evenly spread on a log scale so most uploads stay quick.</summary>
        private int LargeLength() => (int)Math.Round(Math.Pow(2, 16 + (_random.NextDouble() * 5)));

        private KillOp Write(RawConnection connection, string key, int length, bool chunked)
        {
            KillOp op = SendWrite(connection, key, length, chunked);
            Answer(op, connection.ReadResponse(), 201, 204);
            return op;
        }

        private KillOp SendWrite(RawConnection connection, string key, int length, bool chunked)
        {
            long id = NextId();
            length = Math.Max(length, KillValue.MinimumLength(key, id));
            byte[] value = KillValue.Make(key, id, length);
            string method = _random.Next(4) == 0 ? "POST" : "PUT";
            string head = method + " /" + key + " HTTP/1.1\r\nHost: t\r\n"
                + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + length.ToString(CultureInfo.InvariantCulture) + "\r\n") + "\r\n";
            KillOp op = _round.Add(new KillOp(key, KillOpKind.Write, id, method + " " + length + " B" + (chunked ? " chunked" : string.Empty), KillClock.Tick()));
            connection.Send(head);
            int offset = 0;
            while (offset < value.Length)
            {
                int piece = Math.Min(value.Length - offset, _random.Next(1, 256 * 1024));
                if (chunked)
                {
                    connection.Send(piece.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
                    connection.Send(value.AsSpan(offset, piece));
                    connection.Send("\r\n");
                }
                else
                {
                    connection.Send(value.AsSpan(offset, piece));
                }

                offset += piece;
            }

            if (chunked)
            {
                connection.Send("0\r\n\r\n");
            }

            return op;
        }

        private KillOp SendDelete(RawConnection connection, string key)
        {
            KillOp op = _round.Add(new KillOp(key, KillOpKind.Delete, KillValue.Absent, "DELETE", KillClock.Tick()));
            connection.Send("DELETE /" + key + " HTTP/1.1\r\nHost: t\r\n\r\n");
            return op;
        }

        private void Delete(RawConnection connection, string key) => Answer(SendDelete(connection, key), connection.ReadResponse(), 204, 404);

        private void Read(RawConnection connection, string key)
        {
            long sent = KillClock.Tick();
            connection.Send("GET /" + key + " HTTP/1.1\r\nHost: t\r\n\r\n");
            RawResponse response = connection.ReadResponse();
            long answered = KillClock.Tick();
            long state = KillValue.Absent;
            if (response.Status == 200)
            {
                long? id = KillValue.IdOf(key, response.Body, out string problem);
                if (id is null)
                {
                    _round.Fail("client " + _client + ": GET " + key + " answered a value no client wrote: " + problem);
                    return;
                }

                state = id.Value;
            }
            else if (response.Status != 404)
            {
                _round.Fail("client " + _client + ": GET " + key + " answered " + response.StatusLine);
                return;
            }

            var op = new KillOp(key, KillOpKind.Read, state, "GET", sent);
            op.Acknowledge(response.Status, answered);
            _round.Add(op);
        }

        /// <summary>The whole upload is sent, then a DELETE of its key on another connection, then both answers are read.</summary>
        private void UploadRacingDelete(RawConnection main, RawConnection side, string key)
        {
            KillOp upload = SendWrite(main, key, LargeLength(), chunked: _random.Next(2) == 0);
            KillOp delete = SendDelete(side, key);
            Answer(delete, side.ReadResponse(), 204, 404);
            Answer(upload, main.ReadResponse(), 201, 204);
            Read(main, key);
        }

        private void Answer(KillOp op, RawResponse response, int ok, int alsoOk)
        {
            if (response.Status != ok && response.Status != alsoOk)
            {
                // Not acknowledged: its outcome stays unknown, and the round fails anyway.
                _round.Fail("client " + _client + ": " + op.What + " " + op.Key + " answered " + response.StatusLine + ": " + Encoding.UTF8.GetString(response.Body));
                return;
            }

            _round.Acknowledge(op, response.Status);
        }
    }
}
