using System.Buffers.Binary;
using Ftpm.Auth;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Microsoft.Extensions.Logging;

namespace Ftpm;

// The dispatcher: Part 3, 5 "Command Processing", in the order of checks that decides which
// response code a malformed command gets (the reference's ExecCommand.c order):
// tag, size, command code, initialization and failure mode, handles (kind, then presence),
// authorization area, then the handler (parameters, command checks, state update, output),
// then the response sessions and the one NV commit.
public sealed partial class Tpm
{
    const int HeaderSize = 10;

    int ExecuteCommand(byte locality, ReadOnlySpan<byte> command, Span<byte> response)
    {
        try
        {
            if (command.Length > _commandBuffer.Length)
                return ErrorResponse(response, TpmRc.CommandSize);
            // The engine parses from its own copy: the host may reuse its buffer, and TPM2B slices
            // must stay valid for the whole command.
            command.CopyTo(_commandBuffer);
            var memory = new ReadOnlyMemory<byte>(_commandBuffer, 0, command.Length);
            return Dispatch(locality, memory, response);
        }
        catch (Exception e)
        {
            // An exception is a bug in the engine. Part 1, 12 "Failure Mode": the TPM stops
            // doing anything but GetTestResult/GetCapability until the next _TPM_Init.
            _failureMode = true;
            _pendingNv.Clear();
            LogFailure(e);
            return ErrorResponse(response, TpmRc.Failure);
        }
        finally
        {
            ResetScratch();
        }
    }

    int Dispatch(byte locality, ReadOnlyMemory<byte> command, Span<byte> response)
    {
        var reader = new TpmReader(command);
        if (_poweredOn && _forceFailureMode)
        {
            // The platform's test signal: this command finds the TPM failed (the reference's
            // _plat__RunCommand with FATAL_ERROR_FORCED).
            _forceFailureMode = false;
            _failureMode = true;
        }
        // In failure mode only a well-formed GetTestResult or GetCapability without sessions runs
        // (Part 1, 12; the reference's TpmFailureMode); anything else, malformed or not, is TPM_RC_FAILURE.
        if (_poweredOn && _failureMode && !IsFailureModeCommand(command.Span))
            return ErrorResponse(response, TpmRc.Failure);

        // Tag: TPMI_ST_COMMAND_TAG. Anything but TPM_ST_SESSIONS / TPM_ST_NO_SESSIONS is TPM_RC_BAD_TAG
        // (Part 3, 5.2), a value that is no TPM_ST at all included: Part 2's TPM_ST table gives no value
        // check of its own (the TCG reference's TPM_ST_Unmarshal reads a plain UINT16).
        if (reader.ReadUInt16(out ushort tagValue) != TpmRc.Success)
            return ErrorResponse(response, TpmRc.Insufficient);
        var tag = (TpmSt)tagValue;
        if (tag != TpmSt.NoSessions && tag != TpmSt.Sessions)
            return ErrorResponse(response, TpmRc.BadTag);

        // A header cut short fails to unmarshal; commandSize must match the bytes received (Part 3, 5.2).
        if (command.Length < HeaderSize)
            return ErrorResponse(response, TpmRc.Insufficient);
        reader.ReadUInt32(out uint commandSize);
        if (commandSize != command.Length)
            return ErrorResponse(response, TpmRc.CommandSize);

        reader.ReadUInt32(out uint ccValue);
        var code = (TpmCc)ccValue;
        var info = CommandTable.Find(code);
        if (info is null)
            return ErrorResponse(response, TpmRc.CommandCode);

        if (!_poweredOn)
            return ErrorResponse(response, TpmRc.Initialize);
        if (_failureMode && code is not (TpmCc.GetTestResult or TpmCc.GetCapability))
            return ErrorResponse(response, TpmRc.Failure);
        // Read-only mode refuses its commands before the TPM is even started (the reference's ExecCommand.c).
        if (ReadOnlyMode && info.RefusedInReadOnlyMode)
            return ErrorResponse(response, TpmRc.ReadOnly);
        // Before _TPM_Init's Startup only Startup runs, after it Startup does not (Part 3, 9.3), and
        // both are decided before the parameters are looked at, as the reference's ExecCommand does.
        if (_started ? code == TpmCc.Startup : code != TpmCc.Startup)
            return ErrorResponse(response, TpmRc.Initialize);

        // New seeds that could not be saved at _TPM_Init must be durable before anything uses them.
        _pendingNv.Clear();
        if (_manufacturePending)
        {
            StagePersistent();
            if (!TryCommitNv()) return ErrorResponse(response, TpmRc.NvUnavailable);
            _manufacturePending = false;
        }

        // Time-based dictionary-attack recovery runs before anything is authorized.
        _daChanged = false;
        DaSelfHeal();

        // Handle area, as the reference's ParseHandleBuffer then EntityGetLoadStatus: every handle is
        // read and must be of a kind the command accepts, then each must name an entity that exists.
        Span<uint> handles = stackalloc uint[info.Handles.Length];
        for (int i = 0; i < handles.Length; i++)
        {
            if (reader.ReadUInt32(out handles[i]) != TpmRc.Success)
                return ErrorResponse(response, TpmRc.Insufficient.AtHandle(i + 1));
            if ((KindOf(handles[i]) & info.Handles[i].Kinds) == 0)
                return ErrorResponse(response, TpmRc.Value.AtHandle(i + 1));
        }
        for (int i = 0; i < handles.Length; i++)
        {
            var rc = CheckHandle(handles[i], info.Handles[i].Kinds);
            // An object or session that is not loaded is the warning TPM_RC_REFERENCE_H0 + n.
            if (rc == TpmRc.ReferenceH0) return ErrorResponse(response, rc + (uint)i);
            if (rc != TpmRc.Success)
                return ErrorResponse(response, rc.AtHandle(i + 1));
        }

        // Authorization area (Part 1, 18): read and check every session, associate the sessions
        // with the handles that need authorization in order, then authorize (Part 1, 19).
        var sessionBuffer = new AuthCommandArray();
        Span<AuthCommand> sessions = sessionBuffer;
        int sessionCount = 0;
        var roles = SessionRoles.None;
        if (tag == TpmSt.Sessions)
        {
            var rc = AuthArea.Parse(ref reader, sessions, out sessionCount, Sessions, info, ExclusiveAuditSession, out roles);
            if (rc != TpmRc.Success) return ErrorResponse(response, rc);
        }
        for (int i = 0, s = 0; i < handles.Length; i++)
        {
            var role = info.Handles[i].Auth;
            if (role == AuthRole.None) continue;
            if (s >= sessionCount) return ErrorResponse(response, TpmRc.AuthMissing);
            sessions[s].AssociatedHandle = handles[i];
            sessions[s].Authorizes = true;
            sessions[s].Role = role;
            s++;
        }
        // cpHash of an audited command is over the parameters as sent, before any decryption.
        bool audited = IsAudited(code);
        var parameters = _commandBuffer.AsMemory(reader.Position, command.Length - reader.Position);
        if (sessionCount > 0 || audited) BeginCommandHashes(code, handles, parameters);
        if (audited) _hashes.CpHash(_crypto, _persistent.AuditHashAlg);
        if (sessionCount > 0)
        {
            var rc = AuthorizeCommand(code, sessions, sessionCount, roles, parameters, locality);
            if (rc != TpmRc.Success)
            {
                // A counted authorization failure is kept even though the command fails (Part 1, 19.8).
                if (_daChanged && NvStatus() == TpmRc.Success)
                {
                    StagePersistent();
                    TryCommitNv(keepMemory: true);
                }
                return ErrorResponse(response, rc);
            }
        }

        if (info.WritesNv && NvStatus() is var nvStatus and not TpmRc.Success)
            return ErrorResponse(response, nvStatus);

        // Run the command with the response laid out after the header, the returned handle
        // and (with sessions) parameterSize.
        int parametersAt = HeaderSize + (info.ReturnsHandle ? 4 : 0) + (tag == TpmSt.Sessions ? 4 : 0);
        var context = new CommandContext
        {
            Code = code,
            Locality = locality,
            Handles = handles,
            In = new TpmReader(command[reader.Position..]),
            Out = new TpmWriter(response[parametersAt..]),
        };
        // Keep the authValue of transient entities for the response HMAC, in case the command flushes them.
        for (int s = 0; s < sessionCount; s++)
            if (sessions[s].Authorizes && KindOf(sessions[s].AssociatedHandle) == HandleKinds.Transient && Objects.Get(sessions[s].AssociatedHandle) is { } entity)
                sessions[s].EntityAuth = entity.AuthValue.ToArray();
        var result = info.Execute(this, ref context);
        if (result != TpmRc.Success)
        {
            _pendingNv.Clear();
            WipeEntityAuth(sessions[..sessionCount]);
            return ErrorResponse(response, result);
        }

        var w = new TpmWriter(response);
        w.WriteUInt16((ushort)tag);
        int sizeAt = w.BeginSize32();
        w.WriteUInt32((uint)TpmRc.Success);
        if (info.ReturnsHandle) w.WriteUInt32(context.ResponseHandle);
        if (tag == TpmSt.Sessions) w.WriteUInt32((uint)context.Out.Position);
        var responseParameters = w.Reserve(context.Out.Position);
        // The NV commit comes before the response sessions: a command whose changes cannot be made
        // durable fails with TPM_RC_NV_UNAVAILABLE before any session nonce rolls or audit digest
        // moves, so the client's sessions stay usable and nothing is acknowledged that was not committed.
        byte[]? auditDigest = audited ? CommandAuditDigest.ToArray() : null;
        if (audited) CommandAudit(responseParameters);
        if (!TryCommitNv())
        {
            if (auditDigest is not null) CommandAuditDigest = auditDigest;
            // A Startup whose state could not be saved has not happened (Part 3, 9.3: the TPM stays
            // waiting for Startup).
            if (code == TpmCc.Startup) _started = false;
            WipeEntityAuth(sessions[..sessionCount]);
            return ErrorResponse(response, TpmRc.NvUnavailable);
        }
        if (tag == TpmSt.Sessions)
        {
            WriteResponseSessions(ref w, sessions, sessionCount, roles, responseParameters);
            WipeEntityAuth(sessions[..sessionCount]);
        }
        else if (!info.NoSessions)
            UpdateAuditSessions(sessions, 0, responseParameters);
        BinaryPrimitives.WriteUInt32BigEndian(response[sizeAt..], (uint)w.Position);
        return w.Position;
    }

    static bool IsFailureModeCommand(ReadOnlySpan<byte> command) =>
        command.Length >= HeaderSize
        && BinaryPrimitives.ReadUInt16BigEndian(command) == (ushort)TpmSt.NoSessions
        && (TpmCc)BinaryPrimitives.ReadUInt32BigEndian(command[6..]) is TpmCc.GetTestResult or TpmCc.GetCapability;

    static void WipeEntityAuth(Span<AuthCommand> sessions)
    {
        foreach (ref var s in sessions)
            if (s.EntityAuth is { } auth) System.Security.Cryptography.CryptographicOperations.ZeroMemory(auth);
    }

    static int ErrorResponse(Span<byte> response, TpmRc rc)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)TpmSt.NoSessions);
        BinaryPrimitives.WriteUInt32BigEndian(response[2..], HeaderSize);
        BinaryPrimitives.WriteUInt32BigEndian(response[6..], (uint)rc);
        return HeaderSize;
    }

    void LogFailure(Exception e) =>
        _logger.LogError(e, "TPM entered failure mode: unexpected {Type} in the engine", e.GetType().Name);
}
