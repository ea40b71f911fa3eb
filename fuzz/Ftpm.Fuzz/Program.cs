using Ftpm.Fuzz;

// Coverage-guided fuzzing harnesses for afl-fuzz (through SharpFuzz; see fuzz/README.md):
//   Ftpm.Fuzz execute|state|mssim          under afl-fuzz: the fork server loop
//   Ftpm.Fuzz replay HARNESS FILE|DIR...    runs inputs once each (crash triage, regression checks)
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Ftpm.Fuzz execute|state|mssim | replay HARNESS FILE|DIR...");
    return 2;
}
if (args[0] == "replay")
{
    if (args.Length < 3) { Console.Error.WriteLine("usage: Ftpm.Fuzz replay HARNESS FILE|DIR..."); return 2; }
    using var replayHarness = Harnesses.Create(args[1]);
    int failures = 0, count = 0;
    foreach (var file in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order().ToArray() : new[] { p }))
    {
        count++;
        try
        {
            replayHarness.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine($"{file}: {e}");
        }
    }
    Console.WriteLine($"{count} inputs, {failures} failed");
    return failures == 0 ? 0 : 1;
}
// Instrumented code may run only inside the fuzz loop (SharpFuzz sets up the coverage map there), so
// the harness (which builds a TPM) is made on the first input.
IHarness? harness = null;
SharpFuzz.Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    harness ??= Harnesses.Create(args[0]);
    harness.Run(buffer.ToArray());
});
harness?.Dispose();
return 0;
