using System.CommandLine;
using Ftpm.Cli;

// swtpm's command line is read the way swtpm reads it (its own -h, key=value lists), not by System.CommandLine.
if (args is ["swtpm", "socket", .. var swtpmArgs]) return await SwtpmCommand.RunAsync(swtpmArgs, CancellationToken.None);

var root = new RootCommand("ftpm: a TPM 2.0 written in C#");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(StateCommand.Create());
root.Subcommands.Add(SwtpmCommand.Create());
root.Subcommands.Add(CommandsCommand.Create());
root.Subcommands.Add(ProvisionCommand.Create());
return await root.Parse(args).InvokeAsync();
