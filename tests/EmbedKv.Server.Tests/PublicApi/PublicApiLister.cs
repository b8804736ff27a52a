using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace EmbedKv.Server.Tests.PublicApi
{
    /// <summary>
    /// Lists an assembly's public surface, by reflection, as C#-like text: every type a consumer can see
    /// (public, or protected inside a public unsealed type) under its namespace, then each of its visible
    /// members with full signatures (nullability, parameter names and defaults, constants' values).
    /// Sorted by name, not by metadata order, and compiler-generated members are left out, so the text
    /// is the same on every machine and changes only when the surface does.
    /// </summary>
    internal static class PublicApiLister
    {
        private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

        private static readonly Dictionary<Type, string> Keywords = new()
        {
            [typeof(void)] = "void", [typeof(object)] = "object", [typeof(string)] = "string", [typeof(bool)] = "bool",
            [typeof(char)] = "char", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(short)] = "short",
            [typeof(ushort)] = "ushort", [typeof(int)] = "int", [typeof(uint)] = "uint", [typeof(long)] = "long",
            [typeof(ulong)] = "ulong", [typeof(nint)] = "nint", [typeof(nuint)] = "nuint", [typeof(float)] = "float",
            [typeof(double)] = "double", [typeof(decimal)] = "decimal",
        };

        private static readonly Dictionary<string, string> Operators = new()
        {
            ["op_Equality"] = "==", ["op_Inequality"] = "!=", ["op_LessThan"] = "<", ["op_GreaterThan"] = ">",
            ["op_LessThanOrEqual"] = "<=", ["op_GreaterThanOrEqual"] = ">=", ["op_Addition"] = "+", ["op_Subtraction"] = "-",
            ["op_Multiply"] = "*", ["op_Division"] = "/", ["op_Modulus"] = "%", ["op_BitwiseAnd"] = "&", ["op_BitwiseOr"] = "|",
            ["op_ExclusiveOr"] = "^", ["op_LeftShift"] = "<<", ["op_RightShift"] = ">>", ["op_UnaryNegation"] = "-",
            ["op_UnaryPlus"] = "+", ["op_LogicalNot"] = "!", ["op_OnesComplement"] = "~", ["op_Increment"] = "++",
            ["op_Decrement"] = "--", ["op_True"] = "true", ["op_False"] = "false",
        };

        /// <summary>The whole assembly: a line per namespace, then its types, each followed by its members.</summary>
        public static string Render(Assembly assembly) => Render(assembly.GetTypes().Where(IsVisible));

        /// <summary>The given types (and no others) the way <see cref="Render(Assembly)"/> lists them.</summary>
        public static string Render(IEnumerable<Type> types)
        {
            var text = new StringBuilder();
            foreach (IGrouping<string, Type> space in types.GroupBy(t => t.Namespace ?? string.Empty).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                text.Append("namespace ").Append(space.Key).Append('\n');
                foreach (Type type in space.OrderBy(t => Name(t), StringComparer.Ordinal))
                {
                    text.Append("  ").Append(Declaration(type)).Append('\n');
                    foreach (string member in Members(type))
                    {
                        text.Append("    ").Append(member).Append('\n');
                    }
                }
            }

            return text.ToString();
        }

        /// <summary>Whether code outside the assembly can name <paramref name="type"/>.</summary>
        private static bool IsVisible(Type type) =>
            !IsCompilerGenerated(type)
            && (type.IsNested
                ? (type.IsNestedPublic || ((type.IsNestedFamily || type.IsNestedFamORAssem) && !type.DeclaringType!.IsSealed)) && IsVisible(type.DeclaringType!)
                : type.IsPublic);

        private static bool IsCompilerGenerated(MemberInfo member) =>
            member.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || member.Name.Contains('<', StringComparison.Ordinal);

        private static string Declaration(Type type)
        {
            var text = new StringBuilder();
            if (type.IsDefined(typeof(FlagsAttribute), inherit: false))
            {
                text.Append("[System.Flags] ");
            }

            if (type.GetCustomAttribute<ObsoleteAttribute>() is { } obsolete)
            {
                text.Append("[System.Obsolete(").Append(Literal(obsolete.Message)).Append(")] ");
            }

            text.Append(type.IsNestedFamily ? "protected " : type.IsNestedFamORAssem ? "protected internal " : "public ");
            if (typeof(MulticastDelegate).IsAssignableFrom(type.BaseType) && type != typeof(MulticastDelegate))
            {
                MethodInfo invoke = type.GetMethod("Invoke")!;
                return text.Append("delegate ").Append(TypeName(invoke.ReturnParameter)).Append(' ').Append(Name(type))
                    .Append(Parameters(invoke)).Append(Constraints(type.GetGenericArguments())).Append(';').ToString();
            }

            if (type.IsEnum)
            {
                Type underlying = Enum.GetUnderlyingType(type);
                return text.Append("enum ").Append(Name(type)).Append(underlying == typeof(int) ? string.Empty : " : " + TypeName(underlying)).ToString();
            }

            bool isRecord = type.GetMethod("<Clone>$") is not null || type.GetMethod("PrintMembers", Declared) is { } print && IsCompilerGenerated(print);
            if (type.IsInterface)
            {
                text.Append("interface ");
            }
            else if (type.IsValueType)
            {
                text.Append(type.IsDefined(typeof(IsReadOnlyAttribute), inherit: false) ? "readonly " : string.Empty)
                    .Append(type.IsByRefLike ? "ref " : string.Empty)
                    .Append(isRecord ? "record struct " : "struct ");
            }
            else
            {
                text.Append(type.IsAbstract && type.IsSealed ? "static " : type.IsAbstract ? "abstract " : type.IsSealed ? "sealed " : string.Empty)
                    .Append(isRecord ? "record " : "class ");
            }

            text.Append(Name(type));
            var bases = new List<string>();
            if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType))
            {
                bases.Add(TypeName(baseType));
            }

            // The interfaces it adds; those its base type brings (Exception's ISerializable) are the base's.
            bases.AddRange(type.GetInterfaces().Except(type.BaseType?.GetInterfaces() ?? Type.EmptyTypes)
                .Where(i => i.IsPublic || i.IsNestedPublic).Select(i => TypeName(i)).Order(StringComparer.Ordinal));
            if (bases.Count > 0)
            {
                text.Append(" : ").AppendJoin(", ", bases);
            }

            return text.Append(Constraints(type.GetGenericArguments())).ToString();
        }

        /// <summary>The type's own visible members, one line each: fields, constructors, properties, events, methods, operators.</summary>
        private static IEnumerable<string> Members(Type type)
        {
            if (type.IsEnum)
            {
                return type.GetFields(BindingFlags.Public | BindingFlags.Static)
                    .Select(f => (Value: Convert.ToDecimal(f.GetRawConstantValue(), CultureInfo.InvariantCulture), f.Name))
                    .OrderBy(f => f.Value).ThenBy(f => f.Name, StringComparer.Ordinal)
                    .Select(f => f.Name + " = " + f.Value.ToString(CultureInfo.InvariantCulture) + ",");
            }

            if (typeof(MulticastDelegate).IsAssignableFrom(type.BaseType))
            {
                return Array.Empty<string>();
            }

            var members = new List<(int Order, string Name, string Line)>();
            foreach (MemberInfo member in type.GetMembers(Declared).Where(m => !IsCompilerGenerated(m)))
            {
                switch (member)
                {
                    case FieldInfo field when Visible(type, field.IsPublic, field.IsFamily, field.IsFamilyOrAssembly):
                        members.Add((0, field.Name, Field(field)));
                        break;
                    case ConstructorInfo constructor when !constructor.IsStatic && Visible(type, constructor.IsPublic, constructor.IsFamily, constructor.IsFamilyOrAssembly):
                        members.Add((1, string.Empty, Modifiers(constructor, type) + Name(type, withArguments: false) + Parameters(constructor) + ";"));
                        break;
                    case PropertyInfo property when Accessors(property).Any():
                        members.Add((2, property.Name, Property(property, type)));
                        break;
                    case EventInfo @event when @event.AddMethod is { } add && Visible(type, add.IsPublic, add.IsFamily, add.IsFamilyOrAssembly):
                        members.Add((3, @event.Name, Modifiers(add, type) + "event " + TypeName(@event.EventHandlerType!, new NullabilityInfoContext().Create(@event)) + " " + @event.Name + ";"));
                        break;
                    case MethodInfo method when !method.IsSpecialName && Visible(type, method.IsPublic, method.IsFamily, method.IsFamilyOrAssembly):
                        members.Add((4, method.Name, Method(method, type, method.Name)));
                        break;
                    case MethodInfo method when Operators.ContainsKey(method.Name) || method.Name is "op_Implicit" or "op_Explicit":
                        if (method.IsPublic)
                        {
                            members.Add((5, method.Name, Operator(method, type)));
                        }

                        break;
                }
            }

            return members.OrderBy(m => m.Order).ThenBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Line, StringComparer.Ordinal).Select(m => m.Line);
        }

        /// <summary>Public, or protected in a type that can be derived from (a sealed type's protected members are out of reach).</summary>
        private static bool Visible(Type owner, bool isPublic, bool isFamily, bool isFamilyOrAssembly) => isPublic || ((isFamily || isFamilyOrAssembly) && !owner.IsSealed);

        private static string Access(bool isPublic, bool isFamily) => isPublic ? "public " : isFamily ? "protected " : "protected internal ";

        private static string Field(FieldInfo field)
        {
            string access = Access(field.IsPublic, field.IsFamily);
            string type = TypeName(field.FieldType, new NullabilityInfoContext().Create(field));
            if (field.IsLiteral)
            {
                return access + "const " + type + " " + field.Name + " = " + Literal(field.GetRawConstantValue(), field.FieldType) + ";";
            }

            if (field.GetCustomAttribute<FixedBufferAttribute>() is { } buffer)
            {
                return access + "fixed " + TypeName(buffer.ElementType) + " " + field.Name + "[" + buffer.Length.ToString(CultureInfo.InvariantCulture) + "];";
            }

            return access + (field.IsStatic ? "static " : string.Empty) + (field.IsInitOnly ? "readonly " : string.Empty) + type + " " + field.Name + ";";
        }

        private static IEnumerable<MethodInfo> Accessors(PropertyInfo property) =>
            new[] { property.GetMethod, property.SetMethod }.OfType<MethodInfo>().Where(a => Visible(property.DeclaringType!, a.IsPublic, a.IsFamily, a.IsFamilyOrAssembly));

        private static string Property(PropertyInfo property, Type owner)
        {
            MethodInfo widest = Accessors(property).OrderBy(a => a.IsPublic ? 0 : 1).First();
            var text = new StringBuilder(Modifiers(widest, owner));
            text.Append(TypeName(property.PropertyType, new NullabilityInfoContext().Create(property))).Append(' ');
            ParameterInfo[] index = property.GetIndexParameters();
            text.Append(index.Length == 0 ? property.Name : "this[" + string.Join(", ", index.Select(Parameter)) + "]");
            text.Append(" {");
            foreach (MethodInfo accessor in Accessors(property))
            {
                text.Append(' ');
                if (accessor.IsPublic != widest.IsPublic || accessor.IsFamily != widest.IsFamily)
                {
                    text.Append(Access(accessor.IsPublic, accessor.IsFamily));
                }

                bool init = accessor == property.SetMethod && accessor.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));
                text.Append(accessor == property.GetMethod ? "get" : init ? "init" : "set").Append(';');
            }

            return text.Append(" }").ToString();
        }

        private static string Method(MethodInfo method, Type owner, string name) =>
            Modifiers(method, owner) + TypeName(method.ReturnParameter) + " " + name
            + (method.IsGenericMethodDefinition ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">" : string.Empty)
            + Parameters(method) + Constraints(method.GetGenericArguments()) + ";";

        private static string Operator(MethodInfo method, Type owner) =>
            method.Name is "op_Implicit" or "op_Explicit"
                ? Modifiers(method, owner) + (method.Name == "op_Implicit" ? "implicit" : "explicit") + " operator " + TypeName(method.ReturnParameter) + Parameters(method) + ";"
                : Method(method, owner, "operator " + Operators[method.Name]);

        private static string Modifiers(MethodBase method, Type owner)
        {
            var text = new StringBuilder(Access(method.IsPublic, method.IsFamily));
            if (method.IsStatic)
            {
                text.Append(method.IsAbstract ? "static abstract " : method.IsVirtual ? "static virtual " : "static ");
            }
            else if (!owner.IsInterface && method is MethodInfo info)
            {
                bool overrides = info.GetBaseDefinition().DeclaringType != info.DeclaringType;
                text.Append(
                    info.IsAbstract ? "abstract "
                    : overrides && info.IsFinal ? "sealed override "
                    : overrides ? "override "
                    : info.IsVirtual && !info.IsFinal ? "virtual "
                    : string.Empty);
            }

            return text.ToString();
        }

        private static string Parameters(MethodBase method)
        {
            bool extension = method.IsDefined(typeof(ExtensionAttribute), inherit: false);
            return "(" + string.Join(", ", method.GetParameters().Select((p, i) => (extension && i == 0 ? "this " : string.Empty) + Parameter(p))) + ")";
        }

        private static string Parameter(ParameterInfo parameter)
        {
            var text = new StringBuilder();
            if (parameter.IsDefined(typeof(ParamArrayAttribute), inherit: false))
            {
                text.Append("params ");
            }

            if (parameter.ParameterType.IsByRef)
            {
                text.Append(parameter.IsOut ? "out " : parameter.IsIn || parameter.IsDefined(typeof(IsReadOnlyAttribute), inherit: false) ? "in " : parameter.IsDefined(typeof(RequiresLocationAttribute), inherit: false) ? "ref readonly " : "ref ");
            }

            text.Append(TypeName(parameter.ParameterType.IsByRef ? parameter.ParameterType.GetElementType()! : parameter.ParameterType, new NullabilityInfoContext().Create(parameter)))
                .Append(' ').Append(parameter.Name);
            if (parameter.HasDefaultValue)
            {
                text.Append(" = ").Append(Literal(parameter.RawDefaultValue, parameter.ParameterType));
            }

            return text.ToString();
        }

        private static string Constraints(Type[] arguments)
        {
            var text = new StringBuilder();
            foreach (Type argument in arguments.Where(a => a.IsGenericParameter))
            {
                var constraints = new List<string>();
                GenericParameterAttributes flags = argument.GenericParameterAttributes;
                bool isStruct = flags.HasFlag(GenericParameterAttributes.NotNullableValueTypeConstraint);
                if (isStruct)
                {
                    constraints.Add(argument.IsDefined(typeof(IsUnmanagedAttribute), inherit: false) ? "unmanaged" : "struct");
                }
                else if (flags.HasFlag(GenericParameterAttributes.ReferenceTypeConstraint))
                {
                    constraints.Add("class");
                }

                constraints.AddRange(argument.GetGenericParameterConstraints().Where(c => !(isStruct && c == typeof(ValueType))).Select(c => TypeName(c)).Order(StringComparer.Ordinal));
                if (flags.HasFlag(GenericParameterAttributes.DefaultConstructorConstraint) && !isStruct)
                {
                    constraints.Add("new()");
                }

                if (flags.HasFlag(GenericParameterAttributes.AllowByRefLike))
                {
                    constraints.Add("allows ref struct");
                }

                if (constraints.Count > 0)
                {
                    text.Append(" where ").Append(argument.Name).Append(" : ").AppendJoin(", ", constraints);
                }
            }

            return text.ToString();
        }

        private static string TypeName(ParameterInfo returned)
        {
            Type type = returned.ParameterType;
            if (!type.IsByRef)
            {
                return TypeName(type, new NullabilityInfoContext().Create(returned));
            }

            string prefix = returned.IsDefined(typeof(IsReadOnlyAttribute), inherit: false) ? "ref readonly " : "ref ";
            return prefix + TypeName(type.GetElementType()!, new NullabilityInfoContext().Create(returned));
        }

        /// <summary>A type as C# spells it, namespace-qualified, with keywords for the built-in types and '?' where it may be null.</summary>
        private static string TypeName(Type type, NullabilityInfo? nullability = null)
        {
            if (Nullable.GetUnderlyingType(type) is { } underlying)
            {
                return TypeName(underlying, nullability?.GenericTypeArguments.FirstOrDefault()) + "?";
            }

            string mark = nullability is { ReadState: NullabilityState.Nullable } && !type.IsValueType ? "?" : string.Empty;
            if (type.IsGenericParameter)
            {
                return type.Name + mark;
            }

            if (type.IsArray)
            {
                return TypeName(type.GetElementType()!, nullability?.ElementType) + "[" + new string(',', type.GetArrayRank() - 1) + "]" + mark;
            }

            if (type.IsPointer)
            {
                return TypeName(type.GetElementType()!) + "*";
            }

            if (type.IsFunctionPointer)
            {
                string[] parts = type.GetFunctionPointerParameterTypes().Append(type.GetFunctionPointerReturnType()).Select(t => TypeName(t)).ToArray();
                return "delegate*" + (type.IsUnmanagedFunctionPointer ? " unmanaged" : string.Empty) + "<" + string.Join(", ", parts) + ">";
            }

            if (Keywords.TryGetValue(type, out string? keyword))
            {
                return keyword + mark;
            }

            if (type.IsGenericType && type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true
                || type.IsConstructedGenericType && type.GetGenericTypeDefinition().FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
            {
                Type[] items = type.GetGenericArguments();
                return "(" + string.Join(", ", items.Select((t, i) => TypeName(t, nullability?.GenericTypeArguments.ElementAtOrDefault(i)))) + ")" + mark;
            }

            string name = (type.IsNested ? TypeName(type.DeclaringType!) + "." : type.Namespace is { Length: > 0 } ns ? ns + "." : string.Empty) + Name(type, withArguments: false);
            Type[] own = OwnArguments(type);
            if (own.Length > 0)
            {
                int skip = type.GetGenericArguments().Length - own.Length;
                name += "<" + string.Join(", ", own.Select((t, i) => TypeName(t, nullability?.GenericTypeArguments.ElementAtOrDefault(skip + i)))) + ">";
            }

            return name + mark;
        }

        /// <summary>The type's name within its namespace (Outer.Inner&lt;T&gt;), with its own type parameters.</summary>
        private static string Name(Type type, bool withArguments = true)
        {
            string name = type.Name;
            int tick = name.IndexOf('`', StringComparison.Ordinal);
            name = tick < 0 ? name : name.Substring(0, tick);
            if (withArguments)
            {
                Type[] own = OwnArguments(type);
                name = (type.IsNested ? Name(type.DeclaringType!) + "." : string.Empty) + name
                    + (own.Length > 0 ? "<" + string.Join(", ", own.Select(a => a.Name)) + ">" : string.Empty);
            }

            return name;
        }

        /// <summary>A nested type's generic arguments without those of the types around it.</summary>
        private static Type[] OwnArguments(Type type)
        {
            Type[] all = type.GetGenericArguments();
            int outer = type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0;
            return all.Skip(outer).ToArray();
        }

        private static string Literal(object? value, Type? type = null)
        {
            Type? target = type is null ? null : Nullable.GetUnderlyingType(type) ?? (type.IsByRef ? type.GetElementType() : type);
            return value switch
            {
                null when target is { IsValueType: true } && Nullable.GetUnderlyingType(type!) is null => "default",
                null => "null",
                string text => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                    .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"",
                bool flag => flag ? "true" : "false",
                char c => "'" + c + "'",
                _ when target is { IsEnum: true } => TypeName(target) + "." + Enum.ToObject(target, value).ToString()!.Replace(", ", " | " + TypeName(target) + ".", StringComparison.Ordinal),
                float single => single.ToString("R", CultureInfo.InvariantCulture) + "f",
                double number => number.ToString("R", CultureInfo.InvariantCulture),
                decimal number => number.ToString(CultureInfo.InvariantCulture) + "m",
                IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? string.Empty,
            };
        }
    }
}
