namespace LockService.Security;

/// <summary>
/// Marks a grain interface, or one of its methods, as silo-internal: <see cref="SiloOnlyCallFilter"/> refuses calls
/// to it that do not come from a grain (or from this silo's own start-up code), so a gateway client cannot reach it.
/// </summary>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, Inherited = false)]
public sealed class SiloOnlyAttribute : Attribute;
