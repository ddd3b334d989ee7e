# Packer template for a Drover render image on Azure: Ubuntu with the Drover agent installed from its release
# tarball (agent/target/drover-agent-VERSION.tar.gz from `./mvnw package`): jar, jlink runtime (built on the VM
# by the tarball's install-agent.sh with a JDK that is removed again), systemd unit and a default config.
#
#   ./mvnw -B package -DskipTests
#   packer validate -var resource_group=render-images images/packer/render-image.pkr.hcl   # from any directory
#   packer build -var resource_group=render-images -var location=westeurope images/packer/render-image.pkr.hcl
#
# Packer versions. Debian's Packer 1.6.6 has the azure-arm builder built in and knows no required_plugins
# (1.7+), so this file has no `packer {}` block. With a current Packer (1.11+, where azure-arm is a plugin),
# install the plugin once before building:
#   packer plugins install github.com/hashicorp/azure
# or put this block in a file next to the template and run `packer init`:
#   packer { required_plugins { azure = { source = "github.com/hashicorp/azure", version = ">= 2.0.0" } } }
#
# Authentication: the Azure CLI login of whoever runs the build (`az login`; use_azure_cli_auth). The image
# name carries the agent version: building the same version twice fails on an existing image (delete it or
# bump the version) rather than silently replacing what running pools use.

variable "resource_group" {
  type        = string
  description = "Resource group the managed image is written to."
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "image_name" {
  type    = string
  default = "drover-render"
}

variable "agent_version" {
  type    = string
  default = "0.1.0-SNAPSHOT"
}

variable "vm_size" {
  type    = string
  default = "Standard_D4s_v5"
}

variable "base_image_publisher" {
  type    = string
  default = "Canonical"
}

variable "base_image_offer" {
  type    = string
  default = "0001-com-ubuntu-server-jammy"
}

variable "base_image_sku" {
  type    = string
  default = "22_04-lts-gen2"
}

variable "agent_tarball" {
  type        = string
  default     = ""
  description = "The agent release tarball; default agent/target/drover-agent-<agent_version>.tar.gz in this repository."
}

locals {
  # path.root is this file's directory, so the template validates and builds from any working directory.
  agent_tarball = var.agent_tarball != "" ? var.agent_tarball : "${path.root}/../../agent/target/drover-agent-${var.agent_version}.tar.gz"
}

source "azure-arm" "render" {
  use_azure_cli_auth                = true
  managed_image_resource_group_name = var.resource_group
  managed_image_name                = "${var.image_name}-${var.agent_version}"
  location                          = var.location
  vm_size                           = var.vm_size
  os_type                           = "Linux"
  image_publisher                   = var.base_image_publisher
  image_offer                       = var.base_image_offer
  image_sku                         = var.base_image_sku
  azure_tags = {
    drover_agent_version = var.agent_version
  }
}

build {
  sources = ["source.azure-arm.render"]

  provisioner "file" {
    source      = local.agent_tarball
    destination = "/tmp/drover-agent.tar.gz"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo sh -c '{{ .Vars }} {{ .Path }}'"
    inline = [
      "set -e",
      "apt-get update -q",
      # nfs-common: mount.nfs; the JDK only to jlink the agent's runtime, removed again below.
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-common openjdk-17-jdk-headless",
      "mkdir -p /tmp/drover && tar -xzf /tmp/drover-agent.tar.gz -C /tmp/drover --strip-components=1",
      "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 bash /tmp/drover/install-agent.sh",
      "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q openjdk-17-jdk-headless openjdk-17-jre-headless && apt-get autoremove -y -q",
      "/opt/drover/bin/drover-agent --version",
      "rm -rf /tmp/drover /tmp/drover-agent.tar.gz",
      "/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync",
    ]
  }
}
