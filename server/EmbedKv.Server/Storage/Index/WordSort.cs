using System;
using System.Runtime.CompilerServices;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// Sorts entry numbers by 64-bit words, for the ordered index's bulk build: a least-significant-digit
    /// radix sort by bytes, in native memory, with no comparer and no generic instantiation.
    /// </summary>
    /// <remarks>
    /// Hand-written because the build runs once per process, when the store opens: the runtime's
    /// <c>Span.Sort(keys, items)</c> for <c>(ulong, uint)</c> is compiled on first use and tiered up
    /// while it runs, which made the first sort of a million entries several times slower than later
    /// ones. This one is compiled optimized at once, and its cost is fixed: one pass to count every
    /// byte position, then one pass per byte position whose bytes are not all alike (keys often share
    /// bytes, such as the zeros that pad short keys).
    /// </remarks>
    internal static unsafe class WordSort
    {
        // Below this, an insertion sort beats eight histograms of 256 counts.
        private const int SmallRun = 48;

        /// <summary>Sorts <paramref name="words"/> ascending and moves <paramref name="items"/> along with them.</summary>
        /// <param name="words">The words.</param>
        /// <param name="items">One item a word.</param>
        /// <param name="count">How many.</param>
        /// <param name="spareWords">Scratch room for <paramref name="count"/> words.</param>
        /// <param name="spareItems">Scratch room for <paramref name="count"/> items.</param>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Sort(ulong* words, uint* items, int count, ulong* spareWords, uint* spareItems)
        {
            if (count < SmallRun)
            {
                InsertionSort(words, items, count);
                return;
            }

            int* counts = stackalloc int[8 * 256];
            new Span<int>(counts, 8 * 256).Clear();
            for (int i = 0; i < count; i++)
            {
                ulong word = words[i];
                for (int digit = 0; digit < 8; digit++)
                {
                    counts[(digit << 8) | (int)((word >> (digit * 8)) & 0xFF)]++;
                }
            }

            ulong* fromWords = words;
            uint* fromItems = items;
            ulong* toWords = spareWords;
            uint* toItems = spareItems;
            for (int digit = 0; digit < 8; digit++)
            {
                int* offsets = counts + (digit << 8);
                int shift = digit * 8;
                if (offsets[(int)((fromWords[0] >> shift) & 0xFF)] == count)
                {
                    continue; // Every word has this byte: the pass would change nothing.
                }

                int total = 0;
                for (int b = 0; b < 256; b++)
                {
                    int n = offsets[b];
                    offsets[b] = total;
                    total += n;
                }

                for (int i = 0; i < count; i++)
                {
                    ulong word = fromWords[i];
                    int at = offsets[(int)((word >> shift) & 0xFF)]++;
                    toWords[at] = word;
                    toItems[at] = fromItems[i];
                }

                ulong* swapWords = fromWords;
                fromWords = toWords;
                toWords = swapWords;
                uint* swapItems = fromItems;
                fromItems = toItems;
                toItems = swapItems;
            }

            if (fromWords != words)
            {
                new Span<ulong>(fromWords, count).CopyTo(new Span<ulong>(words, count));
                new Span<uint>(fromItems, count).CopyTo(new Span<uint>(items, count));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void InsertionSort(ulong* words, uint* items, int count)
        {
            for (int i = 1; i < count; i++)
            {
                ulong word = words[i];
                uint item = items[i];
                int j = i - 1;
                while (j >= 0 && words[j] > word)
                {
                    words[j + 1] = words[j];
                    items[j + 1] = items[j];
                    j--;
                }

                words[j + 1] = word;
                items[j + 1] = item;
            }
        }
    }
}
