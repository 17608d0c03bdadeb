namespace LockService.Chaos.History;

/// <summary>
/// One injected fault: <see cref="Kind"/> (for example <c>kill-leader</c>, <c>pause-leader-long</c>,
/// <c>azurite-restart</c>, <c>client-pause</c>) from <see cref="StartTs"/> until it healed at <see cref="HealTs"/>
/// (equal to the start for an instant fault such as a SIGKILL). <see cref="PausedClient"/> names the client process
/// a <c>client-pause</c> stopped: its own waits during the pause are not counted as unavailability.
/// </summary>
public sealed record Fault(string Kind, string Target, long StartTs, long HealTs, int? PausedClient = null);
