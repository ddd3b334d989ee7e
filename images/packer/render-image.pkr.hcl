# Packer template for a Drover render image on Azure: Ubuntu with the Drover agent, its jlink runtime, the
# systemd unit and a default config. Works with the Packer in Debian (1.6.6): the azure-arm builder is built
# in, so there is no required_plugins block and no `packer init`.
#
#   images/build-runtime.sh
#   packer build -var resource_group=render-images -var location=westeurope images/packer/render-image.pkr.hcl
#
# Authentication: the Azure CLI login of whoever runs the build (use_azure_cli_auth).

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

variable "agent_jar" {
  type    = string
  default = "agent/target/drover-agent.jar"
}

variable "agent_runtime" {
  type    = string
  default = "agent/target/runtime"
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

  provisioner "shell" {
    inline = ["mkdir -p /tmp/drover/images /tmp/drover/agent/target /tmp/drover/agent/src/main/dist"]
  }

  provisioner "file" {
    sources     = [var.agent_jar, var.agent_runtime]
    destination = "/tmp/drover/agent/target/"
  }

  provisioner "file" {
    sources     = ["images/install-agent.sh", "images/systemd"]
    destination = "/tmp/drover/images/"
  }

  provisioner "file" {
    sources     = ["agent/src/main/dist/drover-run"]
    destination = "/tmp/drover/agent/src/main/dist/"
  }

  provisioner "file" {
    sources     = ["agent/agent.example.yaml"]
    destination = "/tmp/drover/agent/"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo sh -c '{{ .Vars }} {{ .Path }}'"
    inline = [
      "apt-get update -q",
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-common",
      "bash /tmp/drover/images/install-agent.sh",
      "rm -rf /tmp/drover",
      "/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync",
    ]
  }
}
