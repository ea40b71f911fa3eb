using System.CommandLine;
using Ftpm.Cli;

var root = new RootCommand("ftpm: a TPM 2.0 written in C#");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(StateCommand.Create());
root.Subcommands.Add(ProvisionCommand.Create());
return await root.Parse(args).InvokeAsync();
