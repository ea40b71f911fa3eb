using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Tests.State;

/// <summary>The primary-key cache wipes what it holds when an entry is evicted or the cache is cleared
/// (a seed changed), and frees a backend key only when no loaded object uses it any more.</summary>
public sealed class PrimaryKeyCacheTests
{
    sealed class CountingKey : IAsymmetricKey
    {
        public int Disposed;
        public TpmAlgId Type => TpmAlgId.Ecc;
        public int KeyBits => 256;
        public TpmEccCurve Curve => TpmEccCurve.NistP256;
        public bool HasPrivate => true;
        public (int First, int Second) ExportPublic(Span<byte> first, Span<byte> second) => (0, 0);
        public int ExportPrivate(Span<byte> output) => 0;
        public void Dispose() => Disposed++;
    }

    static PrimaryKeyCache.Entry Entry(byte id, CountingKey? key) =>
        new([id], [], Enumerable.Repeat((byte)0xAA, 32).ToArray(), Enumerable.Repeat((byte)0xBB, 32).ToArray(),
            key is null ? null : new SharedAsymmetricKey(key));

    [Fact]
    public void Eviction_wipes_the_oldest_entry_and_frees_its_unused_key()
    {
        var cache = new PrimaryKeyCache();
        var key = new CountingKey();
        var oldest = Entry(0, key);
        cache.Add(oldest);
        for (byte i = 1; i <= PrimaryKeyCache.Capacity; i++) cache.Add(Entry(i, new CountingKey()));
        Assert.Equal(PrimaryKeyCache.Capacity, cache.Count);
        Assert.Null(cache.Find([0]));
        Assert.All(oldest.SeedValue, b => Assert.Equal(0, b));
        Assert.All(oldest.SensitiveData, b => Assert.Equal(0, b));
        Assert.Equal(1, key.Disposed);
    }

    [Fact]
    public void A_key_in_use_outlives_its_entry_and_is_freed_by_its_last_user()
    {
        var cache = new PrimaryKeyCache();
        var key = new CountingKey();
        var entry = Entry(1, key);
        cache.Add(entry);
        var user = entry.Asymmetric!.Acquire();   // a loaded primary made from the entry
        cache.Clear();                            // a seed changed
        Assert.All(entry.SeedValue, b => Assert.Equal(0, b));
        Assert.Equal(0, key.Disposed);           // the loaded object still signs with it
        user.Release();                           // FlushContext
        Assert.Equal(1, key.Disposed);
        Assert.True(entry.Asymmetric.IsDisposed);
        Assert.Throws<InvalidOperationException>(() => entry.Asymmetric.Release());
    }

    /// <summary>Through the engine: a cached primary whose hierarchy seed changes (TPM2_Clear) is wiped;
    /// a flushed primary leaves its key to the cache, which still answers the next CreatePrimary.</summary>
    [Fact]
    public void Clear_wipes_the_cached_primaries()
    {
        var host = new TpmTestHost();
        const uint Owner = 0x40000001, Lockout = 0x4000000A;
        var template = Convert.FromHexString("0023000B00030472000000060080004300100003001000000000");
        byte[] Sensitive() => Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([])));
        var r = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(template), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(1, host.Tpm.PrimaryCache.Count);
        var entry = host.Tpm.PrimaryCache.Entries[0];
        var seedValue = entry.SeedValue;
        Assert.Contains(seedValue, b => b != 0);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(r.Body))).Rc);
        Assert.False(entry.Asymmetric!.IsDisposed);   // the cache still holds it
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.Clear, [Lockout], [[]]).Rc);
        Assert.Equal(0, host.Tpm.PrimaryCache.Count);
        Assert.All(seedValue, b => Assert.Equal(0, b));
        Assert.True(entry.Asymmetric.IsDisposed);
    }
}
