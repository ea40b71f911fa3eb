namespace Ftpm.Tests;

/// <summary>The mutations of the fuzz tests that start from valid commands: one to three edits of a
/// parameter area — a bit flipped, an octet overwritten, a 16-bit field (often a size) replaced by 0,
/// 0xFFFF, a small or a random value, the area cut short, extended, or an octet inserted.</summary>
internal static class Mutation
{
    public static byte[] Mutate(Random random, byte[] seed)
    {
        var b = seed.ToList();
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(6))
            {
                case 0 when b.Count > 0:                           // flip a bit
                    int i = random.Next(b.Count);
                    b[i] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when b.Count > 0:                           // overwrite an octet
                    b[random.Next(b.Count)] = (byte)random.Next(256);
                    break;
                case 2 when b.Count > 1:                           // a 16-bit size field (or anything) replaced
                    int at = random.Next(b.Count - 1);
                    ushort v = (ushort)(random.Next(4) switch { 0 => 0, 1 => 0xFFFF, 2 => random.Next(1, 80), _ => random.Next(65536) });
                    b[at] = (byte)(v >> 8);
                    b[at + 1] = (byte)v;
                    break;
                case 3 when b.Count > 0:                           // cut short
                    b = b.Take(random.Next(b.Count)).ToList();
                    break;
                case 4:                                             // extended
                    for (int n = random.Next(1, 8); n > 0; n--) b.Add((byte)random.Next(256));
                    break;
                default:                                            // an octet inserted
                    b.Insert(random.Next(b.Count + 1), (byte)random.Next(256));
                    break;
            }
        }
        return [.. b];
    }
}

/// <summary>A valid command to mutate: its code, handles, how many of them get an (empty) password
/// session, and its parameter area.</summary>
internal sealed record FuzzSeed(TpmCc Code, uint[] Handles, int Auths, byte[] Parameters)
{
    public Response Send(TpmTestHost host, byte[] parameters) => Auths == 0
        ? host.Run(Code, parameters, Handles)
        : host.RunWithPasswords(Code, Handles, Enumerable.Repeat(Array.Empty<byte>(), Auths).ToArray(), parameters);
}
