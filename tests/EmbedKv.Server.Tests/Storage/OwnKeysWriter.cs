using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// A thread that owns its keys and has one write in flight at a time, so its model of them is exact:
    /// every read it makes must return what it wrote last, whatever merges run meanwhile.
    /// </summary>
    internal sealed class OwnKeysWriter
    {
        private const int Keys = 150;

        private readonly KvStore _store;
        private readonly int _id;
        private readonly int _operations;
        private readonly Random _random;
        private readonly Thread _thread;
        private readonly Dictionary<string, byte[]?> _model = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        private volatile bool _running = true;
        private Exception? _error;

        public OwnKeysWriter(KvStore store, int id, int operations)
        {
            _store = store;
            _id = id;
            _operations = operations;
            _random = new Random(100 + id);
            _thread = new Thread(Run) { IsBackground = true, Name = "writer " + id };
        }

        public bool Running => _running;

        public static Dictionary<string, byte[]?> Model(IEnumerable<OwnKeysWriter> writers)
        {
            var all = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            foreach (OwnKeysWriter writer in writers)
            {
                foreach ((string key, byte[]? value) in writer._model)
                {
                    all.Add(key, value);
                }
            }

            return all;
        }

        public void Start() => _thread.Start();

        public void Join()
        {
            _thread.Join();
            if (_error is not null)
            {
                throw new Xunit.Sdk.XunitException("writer " + _id + " failed: " + _error);
            }
        }

        private void Run()
        {
            try
            {
                // Three versions of every key first: plenty of dead bytes for the merges.
                for (int pass = 0; pass < 3; pass++)
                {
                    for (int k = 0; k < Keys; k++)
                    {
                        Write(k);
                    }
                }

                for (int n = 0; n < _operations; n++)
                {
                    int k = _random.Next(Keys);
                    int what = _random.Next(20);
                    if (what < 12)
                    {
                        Write(k);
                    }
                    else if (what < 15)
                    {
                        _store.Delete(StoreModel.Bytes(KeyOf(k)));
                        _model[KeyOf(k)] = null;
                    }
                    else
                    {
                        Check(k);
                    }
                }
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                _running = false;
            }
        }

        private void Write(int k)
        {
            byte[] value = StoreModel.RandomBytes(_random, _random.Next(0, 2000));
            _store.Put(StoreModel.Bytes(KeyOf(k)), value);
            _model[KeyOf(k)] = value;
        }

        private void Check(int k)
        {
            byte[]? expected = _model.GetValueOrDefault(KeyOf(k));
            if (!_store.TryGet(StoreModel.Bytes(KeyOf(k)), out StoredValue value))
            {
                if (expected is not null)
                {
                    throw new InvalidOperationException(KeyOf(k) + " is missing during the merges");
                }

                return;
            }

            try
            {
                var actual = new byte[value.Length];
                for (int done = 0; done < actual.Length;)
                {
                    int read = _store.ReadValue(value, done, actual.AsSpan(done));
                    if (read == 0)
                    {
                        throw new InvalidOperationException(KeyOf(k) + " ended early");
                    }

                    done += read;
                }

                if (expected is null || !actual.AsSpan().SequenceEqual(expected))
                {
                    throw new InvalidOperationException(KeyOf(k) + " read " + actual.Length + " wrong bytes during the merges (expected "
                        + (expected is null ? "none" : expected.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)) + ")");
                }
            }
            finally
            {
                value.Release();
            }
        }

        private string KeyOf(int k) => "w" + _id + "/k" + k;
    }
}
