using Ftpm.Ports;
using Ftpm.Storage;

namespace Ftpm.Tests.Storage;

public sealed class FileNvStoreTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-nv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string StatePath => Path.Combine(_dir, FileNvStore.StateFileName);

    [Fact]
    public void MissingFileLoadsEmpty()
    {
        using var store = new FileNvStore(_dir);
        var snapshot = store.Load();
        Assert.Empty(snapshot.Records);
        Assert.Equal(0ul, snapshot.WriteCounter);
        Assert.False(File.Exists(StatePath));
    }

    [Fact]
    public void CreatesTheFolder()
    {
        string nested = Path.Combine(_dir, "a", "b");
        using var store = new FileNvStore(nested);
        Assert.True(Directory.Exists(nested));
    }

    [Fact]
    public void CommitIsVisibleAtOnceAndAfterReopen()
    {
        using (var store = new FileNvStore(_dir))
        {
            store.Commit([new(NvKeys.Persistent, [1, 2, 3]), new(0x01000001, [])]);
            store.Commit([new(NvKeys.SavedState, [9]), new(0x01000001, null), new(0x81000001, new byte[3000])]);

            var now = store.Load();
            Assert.Equal(2ul, now.WriteCounter);
            Assert.Equal([1, 2, 3], now.Records[NvKeys.Persistent]);
            Assert.False(now.Records.ContainsKey(0x01000001));
        }
        using (var reopened = new FileNvStore(_dir))
        {
            var snapshot = reopened.Load();
            Assert.Equal(2ul, snapshot.WriteCounter);
            Assert.Equal(3, snapshot.Records.Count);
            Assert.Equal([1, 2, 3], snapshot.Records[NvKeys.Persistent]);
            Assert.Equal([9], snapshot.Records[NvKeys.SavedState]);
            Assert.Equal(3000, snapshot.Records[0x81000001].Length);
        }
    }

    [Fact]
    public void EmptyRecordSurvivesReopen()
    {
        using (var store = new FileNvStore(_dir))
            store.Commit([new(7, [])]);
        using var reopened = new FileNvStore(_dir);
        Assert.Empty(reopened.Load().Records[7]);
    }

    [Fact]
    public void StoreKeepsItsOwnCopies()
    {
        using var store = new FileNvStore(_dir);
        byte[] data = [1, 2, 3];
        store.Commit([new(5, data)]);
        data[0] = 99;
        store.Load().Records[5][1] = 99;
        Assert.Equal([1, 2, 3], store.Load().Records[5]);
    }

    [Fact]
    public void FlippedByteIsDetected()
    {
        using (var store = new FileNvStore(_dir))
            store.Commit([new(NvKeys.Persistent, [1, 2, 3, 4])]);
        byte[] bytes = File.ReadAllBytes(StatePath);
        bytes[30] ^= 0x01;
        File.WriteAllBytes(StatePath, bytes);

        var e = Assert.Throws<InvalidDataException>(() => new FileNvStore(_dir));
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains(StatePath, e.Message);
    }

    [Fact]
    public void TornFileIsDetected()
    {
        using (var store = new FileNvStore(_dir))
            store.Commit([new(NvKeys.Persistent, new byte[100])]);
        byte[] bytes = File.ReadAllBytes(StatePath);
        File.WriteAllBytes(StatePath, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => new FileNvStore(_dir));
        Assert.Contains("corrupt", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public void ShortOrForeignFileIsDetected(int length)
    {
        File.WriteAllBytes(StatePath, new byte[length == 0 ? 0 : 100]);
        var e = Assert.Throws<InvalidDataException>(() => new FileNvStore(_dir));
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void FailedOpenReleasesTheLock()
    {
        File.WriteAllBytes(StatePath, new byte[100]);
        Assert.Throws<InvalidDataException>(() => new FileNvStore(_dir));
        File.Delete(StatePath);
        using var store = new FileNvStore(_dir);
    }

    [Fact]
    public void SecondStoreOnTheSameFolderIsRefused()
    {
        using (var first = new FileNvStore(_dir))
        {
            var e = Assert.Throws<IOException>(() => new FileNvStore(_dir));
            Assert.Contains("in use", e.Message);
        }
        using var again = new FileNvStore(_dir);
    }

    [Fact]
    public void LeftoverTemporaryFileIsIgnored()
    {
        using (var store = new FileNvStore(_dir))
            store.Commit([new(1, [42])]);
        File.WriteAllBytes(StatePath + ".tmp", [1, 2, 3]);

        using var reopened = new FileNvStore(_dir);
        Assert.Equal([42], reopened.Load().Records[1]);
        Assert.False(File.Exists(StatePath + ".tmp"));
    }

    [Fact]
    public void FormatRoundTripsDeterministically()
    {
        var records = new Dictionary<uint, byte[]> { [3] = [3], [1] = [1, 1] };
        byte[] bytes = FileNvStore.Serialize(records, 17);
        var (parsed, counter) = FileNvStore.Parse(bytes, "x");
        Assert.Equal(17ul, counter);
        Assert.Equal([1, 1], parsed[1]);
        Assert.Equal([3], parsed[3]);
        // Keys are written in ascending order: the output is deterministic.
        Assert.Equal(bytes, FileNvStore.Serialize(new Dictionary<uint, byte[]> { [1] = [1, 1], [3] = [3] }, 17));
    }

    [Fact]
    public void CommitAfterDisposeThrows()
    {
        var store = new FileNvStore(_dir);
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Commit([]));
    }
}
