using System.Collections.Generic;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>Every file one table yields: syscalls, constants, errno lookups and structs.</summary>
    internal static class TableEmitter
    {
        public static EquatableArray<GeneratedFile> Emit(TableModel table)
        {
            var files = new List<GeneratedFile> { SyscallsEmitter.Emit(table) };
            foreach (GeneratedFile? file in new[] { ConstantsEmitter.Emit(table), ErrnoEmitter.Emit(table), StructsEmitter.Emit(table) })
            {
                if (file is not null)
                {
                    files.Add(file);
                }
            }

            return files.ToEquatableArray();
        }
    }
}
