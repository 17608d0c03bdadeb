using System.ComponentModel.DataAnnotations;
using System.Net;

namespace LockService.Silo.Hosting;

/// <summary>Validates at start that a setting is a literal IP address, so a typo fails fast with the key's name.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class IpAddressAttribute : ValidationAttribute
{
    public IpAddressAttribute() : base("The field {0} must be an IP address, such as 127.0.0.1 or 10.0.0.5.")
    {
    }

    public override bool IsValid(object? value) => value is string text && IPAddress.TryParse(text, out _);
}
